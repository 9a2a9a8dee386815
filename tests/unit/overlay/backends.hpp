// The two dht implementations behind one face, so every contract test runs
// on both: memory_dht (virtual storers, in-process) and opendht_node (real
// OpenDHT nodes on 127.0.0.1 UDP ports, driven by the same io_context).
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "overlay/memory_dht.hpp"
#include "overlay/opendht/opendht_node.hpp"

namespace p2psip::overlay::testing {

// Runs `io` until `done()` or `limit` passes; true when done.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds{20}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_for(std::chrono::milliseconds{20});
    if (io.stopped()) io.restart();
  }
  return true;
}

class memory_backend {
 public:
  static constexpr const char* name = "memory";

  void start(asio::io_context& io, std::vector<type_policy> types,
             std::function<wall_clock::time_point()> now, std::size_t count) {
    net_ = std::make_shared<memory_network>(io, std::move(types), std::move(now));
    for (std::size_t i = 0; i < count; ++i) nodes_.push_back(std::make_unique<memory_dht>(net_));
  }
  dht& node(std::size_t i) { return *nodes_.at(i); }
  std::size_t size() const { return nodes_.size(); }
  void kill(std::size_t i) { nodes_.at(i)->kill(); }
  std::uint64_t lookups_served(std::size_t i) const { return nodes_.at(i)->lookups_served(); }

 private:
  std::shared_ptr<memory_network> net_;
  std::vector<std::unique_ptr<memory_dht>> nodes_;
};

class opendht_backend {
 public:
  static constexpr const char* name = "opendht";

  // Starts `count` nodes on 127.0.0.1, each bootstrapping from the first,
  // and waits until every node has a confirmed peer (or 20 s pass): tables
  // fill further as lookups run, as OpenDHT refreshes buckets lazily.
  void start(asio::io_context& io, std::vector<type_policy> types,
             std::function<wall_clock::time_point()>, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      opendht_config config;
      config.overlay_id = "p2psip.test";
      config.bind = {asio::ip::make_address("127.0.0.1"), 0};
      config.unlimited_peer_requests = true;
      if (i > 0) config.bootstrap.push_back(nodes_.front()->local_endpoint());
      nodes_.push_back(std::make_unique<opendht_node>(io, config, types));
      nodes_.back()->start();
    }
    run_until(io, [&] {
      for (const auto& n : nodes_)
        if (n->stats().good_nodes == 0) return false;
      return true;
    });
  }
  dht& node(std::size_t i) { return *nodes_.at(i); }
  std::size_t size() const { return nodes_.size(); }
  void kill(std::size_t i) { nodes_.at(i)->stop(); }
  std::uint64_t lookups_served(std::size_t i) const { return nodes_.at(i)->stats().lookups_served; }

 private:
  std::vector<std::unique_ptr<opendht_node>> nodes_;
};

}  // namespace p2psip::overlay::testing
