// What the transport tests share: one io_context driven in bounded steps
// (never a sleep), a layer that records what it hands up, raw UDP and TCP
// peers that play the phone, and SIP messages to send.
#pragma once

#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "transport/transport_layer.hpp"

namespace p2psip::transport::test {

using namespace std::chrono_literals;

class event_loop {
 public:
  asio::any_io_executor executor() { return io_.get_executor(); }
  asio::io_context& context() { return io_; }

  // Runs handlers until `done()` holds or `limit` has passed; says which.
  template <typename Condition>
  bool run_until(Condition done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_one_for(20ms);
    }
    return true;
  }

 private:
  asio::io_context io_;
  // Keeps run_one_for waiting for work instead of returning at once.
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
};

// A copy of what the handler was given, kept past the call.
struct delivered {
  std::string bytes;
  endpoint source;
  endpoint local;
};

// A started transport_layer that records every message it hands up and
// then runs `react`, which may answer through `layer`.
class recording_layer {
 public:
  recording_layer(event_loop& loop, config settings);
  recording_layer(const recording_layer&) = delete;
  recording_layer& operator=(const recording_layer&) = delete;

  // The bound endpoint of the first listener of that protocol.
  endpoint bound(protocol p) const;

  transport_layer layer;
  std::vector<delivered> messages;
  std::function<void(const received&)> react;
};

// A layer with one listener of `p` on `address`, port chosen by the kernel.
config listening_on(protocol p, const asio::ip::address& address);

// Answers every request with 200 OK back to where it came from.
void answer_200(recording_layer& server);

// Plays a phone on UDP: sends raw bytes and keeps every datagram it gets.
class udp_peer {
 public:
  udp_peer(event_loop& loop, const asio::ip::address& address);
  void send(std::string_view bytes, const endpoint& to);
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<std::string> datagrams;

 private:
  void receive();
  asio::ip::udp::socket socket_;
  std::array<char, 65536> buffer_{};
  asio::ip::udp::endpoint sender_;
};

// Plays a phone on TCP: connects, writes raw bytes, keeps what it reads.
class tcp_peer {
 public:
  tcp_peer(event_loop& loop, const endpoint& server);
  void write(std::string_view bytes);
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  std::string received;
  bool closed = false;  // the server closed the connection

 private:
  void read();
  asio::ip::tcp::socket socket_;
  std::array<char, 4096> buffer_{};
};

// An OPTIONS request. `sent_by` is the Via host:port; extra Via parameters
// follow the branch.
std::string options_request(std::string_view transport, std::string_view sent_by, int cseq = 1,
                            std::string_view via_params = "");

// A message parsed with its own copy of the bytes, for inspection.
struct parsed {
  explicit parsed(std::string text);
  std::string bytes;
  std::unique_ptr<sip::message> msg = std::make_unique<sip::message>();
  sip::parse_result result;
};

// Whether ::1 can be bound here; IPv6 tests skip when it cannot.
bool ipv6_loopback_available();

}  // namespace p2psip::transport::test
