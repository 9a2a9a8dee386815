// Many OpenDHT nodes in one process, all on 127.0.0.1, all driven by one
// io_context: the harness of the overlay integration test and benchmark.
// Each node bootstraps from a few random earlier ones (not all from the
// first: that node would hold a routing table of everyone and answer every
// bootstrap), and the swarm is ready when nearly every node knows enough
// peers.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "overlay/opendht/opendht_node.hpp"

namespace p2psip::overlay::testing {

class overlay_swarm {
 public:
  overlay_swarm(asio::io_context& io, std::string overlay_id, std::vector<type_policy> types,
                unsigned seed = 1)
      : io_(io), overlay_id_(std::move(overlay_id)), types_(std::move(types)), random_(seed) {}

  // Starts `count` nodes and runs the io_context until `ready_share` of
  // them have at least `min_good` confirmed peers, or `limit` passes.
  // Returns the time it took.
  std::chrono::milliseconds start(std::size_t count, std::chrono::seconds limit,
                                  double ready_share = 0.99, std::size_t min_good = 8) {
    raise_descriptor_limit(count + 64);
    auto begin = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      opendht_config config;
      config.overlay_id = overlay_id_;
      config.bind = {asio::ip::make_address("127.0.0.1"), 0};
      config.unlimited_peer_requests = true;
      for (int b = 0; b < 3 && i > 0; ++b)
        config.bootstrap.push_back(nodes_[pick(i)]->local_endpoint());
      nodes_.push_back(std::make_unique<opendht_node>(io_, config, types_));
      nodes_.back()->start();
      alive_.push_back(true);
      io_.poll();
    }
    std::size_t want = std::min(min_good, count - 1);
    auto deadline = begin + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds{200});
      std::size_t ready = 0;
      for (const auto& n : nodes_) ready += n->stats().good_nodes >= want ? 1 : 0;
      if (static_cast<double>(ready) >= ready_share * static_cast<double>(count)) break;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 begin);
  }

  std::size_t size() const { return nodes_.size(); }
  opendht_node& node(std::size_t i) { return *nodes_.at(i); }
  bool alive(std::size_t i) const { return alive_.at(i); }

  // A random live node.
  std::size_t random_live() {
    for (;;) {
      std::size_t i = pick(nodes_.size());
      if (alive_[i]) return i;
    }
  }

  // Abruptly stops a random `share` of the nodes (no goodbye, as kill -9
  // would): returns their indices.
  std::vector<std::size_t> kill(double share) {
    std::vector<std::size_t> order(nodes_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), random_);
    order.resize(static_cast<std::size_t>(share * static_cast<double>(nodes_.size())));
    for (std::size_t i : order) {
      nodes_[i]->stop();
      alive_[i] = false;
    }
    return order;
  }

  std::mt19937& random() { return random_; }

 private:
  std::size_t pick(std::size_t below) {
    return std::uniform_int_distribution<std::size_t>{0, below - 1}(random_);
  }

  // One UDP socket per node: a 1000-node swarm needs more descriptors than
  // the usual soft limit of 1024.
  static void raise_descriptor_limit(std::size_t needed) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= needed) return;
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, needed);
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  asio::io_context& io_;
  std::string overlay_id_;
  std::vector<type_policy> types_;
  std::mt19937 random_;
  std::vector<std::unique_ptr<opendht_node>> nodes_;
  std::vector<bool> alive_;
};

}  // namespace p2psip::overlay::testing
