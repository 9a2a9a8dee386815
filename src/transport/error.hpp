// Why a send failed or a connection closed, when asio has no word for it.
#pragma once

#include <system_error>

namespace p2psip::transport {

enum class error : int {
  stopped = 1,           // the layer was stopped or not started
  flow_gone,             // the endpoint's flow (connection) is closed
  no_transport,          // no socket for that protocol and address family
  tls_not_configured,    // a TLS listener or a TLS send, but no tls_files
  too_many_connections,  // max_connections reached: no new connection
  write_backlog,         // the peer does not read: its queue overflowed
  idle_timeout,
  framing_error,  // the peer's byte stream could not be framed
};

const std::error_category& transport_category() noexcept;
std::error_code make_error_code(error e) noexcept;

}  // namespace p2psip::transport

template <>
struct std::is_error_code_enum<p2psip::transport::error> : std::true_type {};
