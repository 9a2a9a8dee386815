// What a transport layer listens on and how much it accepts from whom.
#pragma once

#include <asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sip/limits.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::transport {

// PEM files. One context serves both roles: `certificate` (a chain, leaf
// first) and `private_key` are what a TLS listener presents and what a
// client presents when the server asks; `ca` is the trust anchor for the
// peer. A client-only layer may leave certificate and key empty.
struct tls_files {
  std::string certificate;
  std::string private_key;
  std::string ca;
  // As a client: the server's chain must verify against `ca`, or the
  // connection fails. As a server: a client certificate is requested; a
  // client without one (a phone), or with one that does not verify, is
  // still accepted, only not authenticated. Names are not matched: an
  // endpoint carries only an address, and the name RFC 5922 compares
  // belongs to the layer above.
  bool verify_peer = false;
  // With verify_peer, a connection whose peer presented a certificate that
  // chains to `ca` is authenticated (transport_layer::authenticated) when
  // this accepts the DER of the peer's leaf certificate; unset, any such
  // peer is. It runs once, after the handshake.
  std::function<bool(std::span<const std::uint8_t> leaf_der)> authenticate{};
};

struct listen_spec {
  protocol proto = protocol::udp;
  asio::ip::address address;
  std::uint16_t port = 0;  // 0: an ephemeral port, read back with local_endpoints()
};

struct config {
  std::vector<listen_spec> listen;
  std::optional<tls_files> tls;  // needed by a TLS listener and by sends to TLS endpoints
  sip::limits message_limits;

  // Open TCP and TLS connections, both directions. Each is a file
  // descriptor: the process's limit (ulimit -n) must be above it.
  std::size_t max_connections = 10000;
  // Accepted connections from one IP address. An office's phones behind one
  // NAT address each hold a flow or two (TCP and TLS, or a reconnect while
  // the old flow has not timed out yet): 1024 takes a few hundred phones,
  // and one address still cannot hold more than a tenth of max_connections.
  std::size_t max_connections_per_source = 1024;
  std::chrono::milliseconds idle_timeout{300000};  // no byte read or written for this long: close
  // Bytes queued for one connection; a peer that lets more pile up is not
  // reading and is disconnected.
  std::size_t max_write_queue_bytes = 1 << 20;
  // Asked of the kernel for each UDP socket (capped by net.core.rmem_max).
  // The default 208 KiB holds about 10 ms of a few thousand calls per second:
  // a scheduling stall that long drops packets, which the peers' slow
  // retransmissions turn into failed calls. 0 keeps the kernel default.
  std::size_t udp_receive_buffer_bytes = 4 << 20;

  // Token bucket per source IP address over requests of every transport;
  // 0 requests per second turns the limit off.
  double requests_per_second_per_source = 200;
  double burst = 400;
  std::chrono::seconds retry_after{5};  // the Retry-After of the 503 (RFC 3261 §21.5.4)
};

}  // namespace p2psip::transport
