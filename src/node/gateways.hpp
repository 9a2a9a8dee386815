// The overlay's gateway peers as every node sees them (issue 14 §3): the
// providers of the service "tel:<overlay>" (service_directory), each record
// naming the URI where nodes reach the gateway peer (its node-link
// endpoint) and the number patterns its trunk serves.
//
// "tel:" because what the service serves is what tel: URIs name, as
// "sip:<overlay>" names the proxy peers' SIP and "turn:<overlay>" the relay
// peers' TURN; the overlay identifier keeps two overlays' gateways apart.
//
// find() is the proxy's gateway_finder: for a dialled number, the other
// gateway peers whose patterns match it, those with the longest matching
// pattern first, in a random order among equals so the calls spread.
// Records are cached briefly (a killed gateway peer is passed over by
// failover meanwhile, and its record expires within a minute).
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "node/service_directory.hpp"
#include "overlay/record_store.hpp"
#include "proxy/number_routing.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::node {

struct gateways_settings {
  std::string overlay_id;
  // Every node reads with the same density the gateway peers write with:
  // not configurable, as the proxy peers' is not per node in practice.
  unsigned density = 4;
  std::chrono::seconds refresh{20};
  std::chrono::seconds cache_for{5};
};

// A gateway peer as a reader takes its record apart.
struct gateway_peer {
  std::string node_id;
  transport::endpoint link;
  std::vector<std::string> numbers;
};

// The gateway peers of `records` (withdrawn ones and those whose URI is no
// address left out) other than `self`.
std::vector<gateway_peer> gateway_peers_of(const std::vector<overlay::service_record>& records,
                                           std::string_view self);

// Where a call to `number` goes among `peers`: the links of those with a
// matching pattern, the longest match first; `random` orders equals.
std::vector<transport::endpoint> gateways_for(const std::vector<gateway_peer>& peers,
                                              std::string_view number, std::mt19937& random);

class gateways final : public proxy::gateway_finder {
 public:
  gateways(asio::io_context& io, overlay::record_store& records, overlay::signer signer,
           std::string node_id, gateways_settings settings);
  gateways(const gateways&) = delete;
  gateways& operator=(const gateways&) = delete;

  // Offers this node as a gateway peer reachable by nodes at `link_uri` for
  // the numbers of `patterns`: put now and every refresh until withdraw().
  void offer(std::string link_uri, std::vector<std::string> patterns);
  void withdraw(std::function<void(std::error_code)> done);

  void find(const std::string& number, found_handler done) override;

 private:
  service_directory directory_;
  std::vector<gateway_peer> peers_;  // the last read's, taken apart
  std::chrono::steady_clock::time_point peers_read_at_{};
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace p2psip::node
