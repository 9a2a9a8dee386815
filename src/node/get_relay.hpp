// "Get Relay" for the phones people have (interwork §3.2.1, DESIGN.md
// "Relays for the phones people have"). A conventional phone cannot read the
// overlay, so its node answers a request in the shape of the TURN REST API
// (draft-uberti-behave-turn-rest):
//
//   GET /turn?service=turn&username=alice        over HTTPS, Basic auth
//   -> {"username": "1767225600:alice", "password": "...", "ttl": 86400,
//       "uris": ["turn:203.0.113.21:3478?transport=udp", ...]}
//
// The user proves who they are with their SIP password (Basic, RFC 7617, so
// only over TLS); `username`, when given, must be that user. The URIs are
// those of up to `relays` relay agent peers found under "turn:<overlay>",
// chosen at random so users spread over the relays, healthy ones only (a
// relay peer withdraws a server that fails its checks); the phone does ICE
// over all of them (§3.2.1). The credential is a TURN REST one under the
// secret the overlay's nodes share with the relays' coturn: it lasts `ttl`
// and names the user, so coturn's logs say whose media it relayed.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "auth/digest.hpp"
#include "node/service_directory.hpp"
#include "ops/http_server.hpp"
#include "proxy/processors.hpp"

namespace p2psip::node {

struct get_relay_settings {
  std::string realm;   // named in the 401's challenge: the overlay
  std::string secret;  // coturn's static-auth-secret
  std::chrono::seconds ttl{86400};
  std::size_t relays = 3;
};

struct get_relay_counters {
  std::uint64_t answered = 0;      // credentials handed out
  std::uint64_t unauthorized = 0;  // 401: no, unknown or wrong credentials
  std::uint64_t forbidden = 0;     // 403: asked for another user
  std::uint64_t no_relay = 0;      // 503: the overlay knows no healthy relay
};

// The URIs of up to `relays` of the `offers`, in a random order, each
// relay's UDP URIs before its others (ICE in the phones people have speaks
// TURN over UDP; TCP and TLS are fallbacks).
std::vector<std::string> choose_relay_uris(std::vector<overlay::service_record> offers,
                                           std::size_t relays, std::mt19937& random);

// Installs GET /turn on `https`; `users`, `relays` and `counters` must
// outlive it. `refresh`: where enrolled users' secrets are read first, as the
// SIP side does (empty: `users` holds everything).
void install_get_relay(ops::http_server& https, const auth::credentials_store& users,
                       service_directory& relays, get_relay_settings settings,
                       get_relay_counters& counters, proxy::user_source refresh = {});

}  // namespace p2psip::node
