// What the transport layer saw, sent and refused. Every reason to refuse
// or drop something has its own counter, so an operator can tell a flood
// from a broken peer.
#pragma once

#include <array>
#include <cstdint>

#include "sip/error.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::transport {

struct counters {
  struct traffic {
    std::uint64_t bytes_received = 0;
    std::uint64_t messages_received = 0;  // handed to the message handler
    std::uint64_t bytes_sent = 0;
    std::uint64_t messages_sent = 0;  // written (a stream) or sent (UDP) whole
    std::uint64_t send_failures = 0;
  };
  std::array<traffic, 3> by_protocol{};
  const traffic& of(protocol p) const { return by_protocol[static_cast<std::size_t>(p)]; }
  traffic& of(protocol p) { return by_protocol[static_cast<std::size_t>(p)]; }

  // Messages the parser or the stream framer refused, by reason.
  std::array<std::uint64_t, sip::parse_error_count> rejected{};
  std::uint64_t rejected_for(sip::parse_error e) const {
    return rejected[static_cast<std::size_t>(e)];
  }

  std::uint64_t replies_400 = 0;  // answers to malformed requests
  std::uint64_t replies_503 = 0;  // answers to requests over the source's rate
  // Requests over their source's rate: answered 503, or dropped when they
  // cannot be answered (ACK, or malformed).
  std::uint64_t requests_over_rate = 0;
  // Responses from a source over its rate. They are delivered anyway: each
  // one ends a transaction of ours, and dropping it would only make us
  // retransmit.
  std::uint64_t responses_over_rate = 0;

  // SO_RCVBUF of the UDP sockets as the kernel granted it (the smallest,
  // when there are several): twice config::udp_receive_buffer_bytes on
  // Linux, or twice net.core.rmem_max when that is lower.
  std::uint64_t udp_receive_buffer_bytes = 0;

  std::uint64_t keepalive_pings = 0;     // CRLFCRLF on a stream, answered with CRLF
  std::uint64_t keepalives_ignored = 0;  // bare CRLF or STUN other than a Binding request on UDP
  std::uint64_t stun_keepalives_answered = 0;  // STUN Binding requests on UDP (RFC 5626 §4.4.2)
  // Times a UDP socket fell behind: its kernel queue passed the threshold
  // past which new requests are refused 503 (transport_layer::behind()).
  std::uint64_t udp_behind = 0;

  std::uint64_t connections_open = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_opened = 0;        // by us, to send
  std::uint64_t refused_connection_limit = 0;  // max_connections reached
  std::uint64_t refused_source_limit = 0;      // max_connections_per_source reached
  std::uint64_t connect_failures = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t accept_failures = 0;

  std::uint64_t closed_by_peer = 0;        // end of stream, or a read or write error
  std::uint64_t closed_idle = 0;           // idle_timeout passed without a byte either way
  std::uint64_t closed_framing_error = 0;  // the stream could not be framed
  std::uint64_t closed_write_backlog = 0;  // max_write_queue_bytes exceeded
};

}  // namespace p2psip::transport
