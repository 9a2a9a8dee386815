// TURN server URIs (RFC 7065 §3), as relay peers publish them:
//
//   turnURI   = scheme ":" host [ ":" port ] [ "?transport=" transport ]
//   scheme    = "turn" / "turns"
//   transport = "udp" / "tcp" / transport-ext
//
// host is RFC 3986's: an IP literal in brackets, an IPv4 address or a
// name. Only udp and tcp are taken as transports, the two a relay peer
// can offer; schemes and the transport are case-insensitive and kept in
// lower case.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace p2psip::relay {

enum class turn_scheme { turn, turns };
enum class turn_transport { udp, tcp };

struct turn_uri {
  turn_scheme scheme = turn_scheme::turn;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 3478;
  bool port_given = false;                  // to_string writes the port only when it was given
  std::optional<turn_transport> transport;  // as given; see effective_transport

  // Without ?transport=, RFC 5928 resolution would pick; for a literal
  // target the usual choice is UDP for turn: and TCP (TLS) for turns:.
  turn_transport effective_transport() const {
    return transport.value_or(scheme == turn_scheme::turns ? turn_transport::tcp
                                                           : turn_transport::udp);
  }
  friend bool operator==(const turn_uri&, const turn_uri&) = default;
};

inline constexpr std::uint16_t turn_default_port = 3478;
inline constexpr std::uint16_t turns_default_port = 5349;

struct parsed_turn_uri {
  turn_uri uri;
  std::error_code error;  // bad_uri_scheme, bad_uri_host, bad_uri_port, bad_uri_query
};

parsed_turn_uri parse_turn_uri(std::string_view text);

// The URI in the form parse_turn_uri reads back to an equal value.
std::string to_string(const turn_uri& uri);

std::string_view to_string(turn_transport t);

}  // namespace p2psip::relay
