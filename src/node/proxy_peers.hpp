// The overlay's proxy peers as every node sees them (interwork §3.3.1): the
// providers of the service "sip:<overlay>" (service_directory), each record
// naming the URI where nodes reach the proxy peer (its node-link endpoint).
//
// Any node that must send a request out of the overlay (or along a Route
// naming the overlay) asks find(): the endpoints of the proxy peers, read
// from one random key of the service, cached, shuffled per call so the load
// spreads, this node itself left out.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "node/service_directory.hpp"
#include "overlay/record_store.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::node {

struct proxy_peers_settings {
  std::string overlay_id;
  unsigned density = 4;
  std::chrono::seconds refresh{60};
  std::chrono::seconds cache_for{30};
};

class proxy_peers {
 public:
  // `node_id` is this node's, as its certificate names it: its own record is
  // not one of the others.
  proxy_peers(asio::io_context& io, overlay::record_store& records, overlay::signer signer,
              std::string node_id, proxy_peers_settings settings);
  proxy_peers(const proxy_peers&) = delete;
  proxy_peers& operator=(const proxy_peers&) = delete;

  // Offers this node as a proxy peer reachable by nodes at `uri` (a SIP URI,
  // "sip:192.0.2.1:5061;transport=tls"): puts its record now and every
  // refresh until withdraw().
  void offer(std::string uri);
  // Stops offering and puts a version with no URI; `done` once stored (or
  // failed), on the loop.
  void withdraw(std::function<void(std::error_code)> done);
  bool offering() const { return directory_.offering(); }
  const std::string& node_id() const { return directory_.node_id(); }

  // The other proxy peers' endpoints, in a random order; empty when none is
  // known. `done` is called once, on the loop (possibly before find()
  // returns, from the cache); never after this object is destroyed.
  using found_handler = std::function<void(std::vector<transport::endpoint>)>;
  void find(found_handler done);

  // The node ids of the proxy peers whose records are fresh (valid,
  // unexpired, not withdrawn), this node's own included once stored,
  // sorted and without repeats. Every proxy peer reading the same records
  // gets the same list, so they can agree on one of them, e.g. a steward
  // (steward.hpp). Read and cached with find()'s list; `done` as for find().
  using members_handler = std::function<void(std::vector<std::string>)>;
  void members(members_handler done);
  // Where a member of the last read reaches nodes (its node-link endpoint).
  std::optional<transport::endpoint> link_of(const std::string& node_id) const;

  using counters = service_directory::counters;
  const counters& stats() const { return directory_.stats(); }
  std::size_t known() const { return others_.size(); }

 private:
  void remember(const std::vector<overlay::service_record>& records);

  service_directory directory_;
  std::vector<transport::endpoint> others_;  // the last read's, this node left out
  std::vector<std::string> members_;
  std::map<std::string, transport::endpoint> links_;
  std::chrono::steady_clock::time_point remembered_at_{};  // the read the three above are of
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace p2psip::node
