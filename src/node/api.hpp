// The node's HTTP JSON API (ops/http_server.hpp), read by `p2psip`:
//   GET /status           roles, endpoints, overlay health, counters
//   GET /bindings         the bindings this node holds for its phones
//   GET /lookup?aor=AOR   the AOR's valid bindings, read from the overlay now
//   GET /nodes            the DHT routing table
//   GET /key?aor=AOR      the DHT key of the AOR's bindings
//   GET /ladder?since=N   the SIP messages after the Nth (sip_ladder.hpp)
//   GET /                 the dashboard (dashboard.hpp)
//   GET /relays           the relay agent peers the overlay knows; this
//                         node's checks of its own TURN servers
//   POST /users?user=U&record=HEX   a user record from the enrollment
//                         authority (p2psip user add): kept, republished
//   GET /users?user=U     whether U is enrolled, read from the overlay now
// It listens on loopback unless configured otherwise: it tells who is
// registered where, which is not for everyone.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "node/config.hpp"
#include "node/enrolled_users.hpp"
#include "node/get_relay.hpp"
#include "node/hep_mirror.hpp"
#include "node/peer.hpp"
#include "node/proxy_peer_role.hpp"
#include "node/public_registrations.hpp"
#include "node/relay_role.hpp"
#include "node/sip_ladder.hpp"
#include "node/sip_server.hpp"
#include "ops/http_server.hpp"

namespace p2psip::node {

struct api_sources {
  const node_config& config;
  const sip_server& server;
  peer* overlay = nullptr;                            // null when the node is not a peer
  const proxy_peer_role* proxy_peer = nullptr;        // null without the proxy-peer role
  const relay_role* relay = nullptr;                  // null without the relay role
  const get_relay_counters* get_relay = nullptr;      // null without [relays] listen
  enrolled_users* users = nullptr;                    // null without a users key
  const public_registrations* public_aors = nullptr;  // null without a users key
  const hep_mirror* hep = nullptr;                    // null without [hep] collector
  const sip_ladder* ladder = nullptr;                 // null: no /ladder
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

void install_api(ops::http_server& http, api_sources sources);

}  // namespace p2psip::node
