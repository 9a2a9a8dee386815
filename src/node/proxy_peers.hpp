// The overlay's proxy peers as every node sees them (interwork §3.3.1,
// DESIGN.md "Keys and records"). A proxy peer offers itself: it puts a
// service record "sip:<overlay>" naming the URI where nodes reach it (its
// node-link endpoint) under each of the service's `density` keys, and puts
// it again every `refresh` while it offers, each version living a few
// refreshes, so a proxy peer that dies drops out of the overlay by itself.
// Withdrawing puts a version with no URI, which readers skip at once.
//
// Any node that must send a request out of the overlay (or along a Route
// naming the overlay) asks find(): the endpoints of the proxy peers, read
// from one random key of the service (record_store::find_service, so no
// storer carries every lookup), cached for `cache_for`, shuffled per call
// so the load spreads, this node itself left out. Lookups for a list that
// is being read wait for that read.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

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
  ~proxy_peers();
  proxy_peers(const proxy_peers&) = delete;
  proxy_peers& operator=(const proxy_peers&) = delete;

  // Offers this node as a proxy peer reachable by nodes at `uri` (a SIP URI,
  // "sip:192.0.2.1:5061;transport=tls"): puts its record now and every
  // refresh until withdraw().
  void offer(std::string uri);
  // Stops offering and puts a version with no URI; `done` once stored (or
  // failed), on the loop.
  void withdraw(std::function<void(std::error_code)> done);
  bool offering() const { return !uri_.empty(); }
  const std::string& node_id() const { return node_id_; }

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

  struct counters {
    std::uint64_t offers = 0;  // puts of this node's record
    std::uint64_t offer_failures = 0;
    std::uint64_t lookups = 0;          // reads of the service keys
    std::uint64_t lookup_failures = 0;  // reads that found no proxy peer
  };
  const counters& stats() const { return counters_; }
  std::size_t known() const { return cached_.size(); }

 private:
  void put_offer();
  void schedule_refresh();
  void lookup();
  overlay::service_record record(std::vector<std::string> uris) const;

  overlay::record_store& records_;
  overlay::signer signer_;
  std::string node_id_;
  proxy_peers_settings settings_;
  asio::steady_timer refresh_timer_;
  std::string uri_;
  std::vector<transport::endpoint> cached_;
  std::chrono::steady_clock::time_point cached_at_{};
  bool looking_up_ = false;
  std::vector<found_handler> waiting_;
  std::vector<std::string> cached_members_;
  std::map<std::string, transport::endpoint> links_;
  std::vector<members_handler> waiting_members_;
  std::mt19937 random_{std::random_device{}()};
  counters counters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::node
