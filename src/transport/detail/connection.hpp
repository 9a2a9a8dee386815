// A TCP or TLS connection as the rest of the layer sees it, whatever the
// stream under it.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include "transport/detail/inbound.hpp"
#include "transport/endpoint.hpp"
#include "transport/transport_layer.hpp"

namespace p2psip::transport::detail {

// Why a connection closed; each reason but `stopped` has a counter.
enum class close_reason : std::uint8_t {
  stopped,
  peer_closed,  // end of stream, or a read or write error
  idle,
  framing_error,
  write_backlog,
  connect_failed,
  handshake_failed,
};

class connection : public reply_path {
 public:
  virtual ~connection() = default;

  // The peer, with this connection's flow id.
  const endpoint& remote() const { return remote_; }
  // Whether the peer opened it (it then counts against the peer's address).
  bool accepted() const { return accepted_; }
  // TLS: the peer's certificate verified and was accepted (tls_files::authenticate).
  bool authenticated() const { return authenticated_; }

  // Queues one whole message; `done` completes once it is written, or with
  // the reason it never will be.
  virtual void send(std::string bytes, transport_layer::send_handler done) = 0;
  // Closes now; queued sends complete with `why`.
  virtual void close(close_reason reason, std::error_code why) = 0;

  // Inbound answers (400, 503) go back on the connection the request came on.
  void reply(std::string bytes, const endpoint&) final { send(std::move(bytes), {}); }

 protected:
  connection(endpoint remote, bool accepted) : remote_(remote), accepted_(accepted) {}
  void set_authenticated(bool on) { authenticated_ = on; }

 private:
  endpoint remote_;
  bool accepted_;
  bool authenticated_ = false;
};

}  // namespace p2psip::transport::detail
