// The settings of one SIP node's server: transports, domains, timers,
// authentication and the roles its request chain plays.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "proxy/core.hpp"
#include "proxy/flow_token.hpp"
#include "proxy/location.hpp"
#include "proxy/number_routing.hpp"
#include "proxy/processors.hpp"
#include "proxy/registrar.hpp"
#include "transport/config.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::node {

struct server_config {
  transport::config transport;
  std::vector<std::string> domains{"p2psip.test"};
  txn::timer_config timers;
  proxy::registrar_policy registrar;  // its domains are filled from `domains`
  bool record_route = true;
  // The proxy core's Timer C and its bound on requests in flight.
  std::chrono::milliseconds timer_c{std::chrono::minutes(3)};
  std::size_t max_requests = proxy::proxy_config{}.max_requests;
  // Server transactions at once; past it a new request gets a stateless 503.
  std::size_t max_transactions = txn::layer_limits{}.max_server_transactions;
  std::string advertise;  // proxy_config::advertise
  bool authenticate_registrations = true;
  bool authenticate_local_requests = false;
  std::string nonce_secret;  // random when empty
  // Offered in this order (RFC 8760: SHA-256 before MD5). Some peers, sipp
  // among them, only answer an MD5 challenge.
  std::vector<auth::algorithm> digest_algorithms{auth::algorithm::sha256, auth::algorithm::md5};
  // Both outlive the server. Null: bindings in memory, no flow tokens.
  proxy::location_store* location = nullptr;
  const proxy::flow_tokens* flow_tokens = nullptr;
  // Links between nodes over plain TCP ([overlay] plain_links): any source
  // may then follow a flow token. Otherwise only an authenticated node link
  // may (transport_layer::authenticated, node_links.hpp).
  bool plain_links = false;
  // Redirect role: located requests are answered 302 instead of forwarded.
  bool redirect = false;
  bool registrar_role = true;  // false: REGISTER for our domains gets 403
  bool proxy_role = true;      // false: no calls routed for phones (no_proxy)
  // The overlay identifier when the node is in one: requests for other
  // domains leave through its proxy peers (proxy::interworking).
  std::string overlay;
  // This node is a proxy peer: it takes Routes naming the overlay as its
  // own and record-routes with the overlay's name across the boundary.
  bool proxy_peer = false;
  // Outlives the server. Resolves next hops that name a host (RFC 3263, and
  // the overlay's proxy peers); null: only addresses are followed.
  proxy::next_hop_resolver* resolver = nullptr;
  // Calls to telephone numbers (proxy::number_routing): the gateway peers
  // (outlives the server; null: none known), and this node's own trunk
  // when it is a gateway peer. Neither: no number routing.
  proxy::gateway_finder* gateways = nullptr;
  std::optional<proxy::trunk> trunk;
  // Whether a user exists though it has no binding now (480 rather than 404),
  // besides the users of the user file.
  std::function<bool(std::string_view user)> known_user;
  // Users whose secrets the overlay holds (enrolled_users): read before
  // digest checks their credentials. Empty: the credentials store has all.
  proxy::user_source users;
};
}  // namespace p2psip::node
