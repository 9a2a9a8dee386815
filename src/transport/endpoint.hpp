// Where a SIP message came from or goes to: the protocol, the address and
// port, and for connection-oriented transports the flow (RFC 5626 §3.2) it
// travels on. The layers above the transport (transactions, proxy,
// registrar) carry endpoints without looking inside them; only the
// transport turns one into a socket.
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2psip::transport {

enum class protocol : std::uint8_t { udp, tcp, tls };

// TCP and TLS retransmit for us (RFC 3261 §17: timers A, E, G do not run).
constexpr bool is_reliable(protocol p) {
  return p != protocol::udp;
}

// The Via transport token: "UDP", "TCP", "TLS".
std::string_view via_token(protocol p);

// A connection (TCP or TLS) has a non-zero id for as long as it is open.
// Zero means "any": for UDP there is no connection, and a send to a TCP or
// TLS endpoint with flow 0 reuses or opens a connection to address:port.
using flow_id = std::uint64_t;

struct endpoint {
  protocol proto = protocol::udp;
  asio::ip::address address;
  std::uint16_t port = 0;
  flow_id flow = 0;

  bool operator==(const endpoint&) const = default;
};

// "udp:192.0.2.1:5060", "tcp:[2001:db8::1]:5061#7" (the flow after '#').
std::string to_string(const endpoint& e);

}  // namespace p2psip::transport
