// A TCP or TLS connection: the stream framer cuts the bytes read into
// messages (RFC 3261 §18.3), a bounded queue writes whole messages in
// order, and a timer closes it when nothing moves for idle_timeout.
//
// Memory per connection is bounded: the read buffer grows only up to what
// the framer's limits let one partial message reach, and the write queue
// up to max_write_queue_bytes, past which the peer is taken for one that
// does not read and is disconnected.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "transport/detail/connection.hpp"

namespace p2psip::transport::detail {

class layer_core;

using tcp_stream = asio::ip::tcp::socket;
using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

template <typename Stream>
class stream_connection final : public connection,
                                public std::enable_shared_from_this<stream_connection<Stream>> {
 public:
  // `remote` carries the flow id; `local` is refined once connected.
  stream_connection(std::shared_ptr<layer_core> core, Stream stream, const endpoint& remote,
                    const endpoint& local, bool accepted);

  // The peer opened it: handshake as the TLS server, then read.
  void start_accepted();
  // We open it: connect, handshake as the TLS client, then write what was
  // queued meanwhile and read.
  void start_connect();

  void send(std::string bytes, transport_layer::send_handler done) override;
  void close(close_reason reason, std::error_code why) override;

 private:
  enum class state : std::uint8_t { connecting, handshaking, open, draining, closed };
  struct pending_write {
    std::string bytes;
    transport_layer::send_handler done;
  };

  void handshake(bool as_server);
  void established();

  void read_more();
  void on_read(std::error_code ec, std::size_t size);
  bool drain_frames();
  void discard_front(std::size_t used);
  void make_room();

  void write_next();
  void on_written(std::error_code ec, std::size_t size);
  // Stops reading, writes what is queued (the 400, say), then closes.
  void close_after_flush(close_reason reason, std::error_code why);
  void fail_queued(std::error_code why);
  void count(close_reason reason) const;

  void touch() { last_activity_ = std::chrono::steady_clock::now(); }
  void arm_idle_timer();

  std::shared_ptr<layer_core> core_;
  Stream stream_;
  endpoint local_;
  state state_ = state::connecting;

  sip::stream_framer framer_;
  std::vector<char> buffer_;
  std::size_t buffered_ = 0;
  std::size_t buffer_cap_;

  std::deque<pending_write> writes_;  // the front is being written when writing_
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  close_reason drain_reason_ = close_reason::stopped;
  std::error_code drain_error_;

  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
};

extern template class stream_connection<tcp_stream>;
extern template class stream_connection<tls_stream>;

}  // namespace p2psip::transport::detail
