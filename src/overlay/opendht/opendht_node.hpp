// One OpenDHT node driven from our io_context: dht::Dht (the sans-I/O core,
// not DhtRunner) fed by our own asio UDP socket, so the node starts no
// threads and takes no locks, and no select() call can abort the process
// when the socket's descriptor is past 1024 (shared/notes/opendht.md).
//
// IPv4 only (the bind endpoint must be IPv4). A value put with id 0 gets a
// random id from OpenDHT, so it can never be edited: give records fixed ids.
//
// Values are unsigned OpenDHT values of our own types: signatures travel
// inside the value (identity/), so the type_policy checks registered here
// run on every storing node.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "overlay/dht.hpp"

namespace p2psip::overlay {

struct opendht_config {
  std::string overlay_id;        // the network id is derived from it (network_id())
  asio::ip::udp::endpoint bind;  // explicit address; port 0 picks one
  std::vector<asio::ip::udp::endpoint> bootstrap;  // first contacts
  std::vector<std::string> bootstrap_names;        // "host:port", resolved through DNS at start
  // Holds the node id and the routing table (saved on stop and every few
  // minutes) so a restarted node rejoins at once. Empty: nothing persisted.
  std::filesystem::path state_dir;
  // Many nodes on one loopback address share one source IP: lift OpenDHT's
  // per-IP request limit (tests and local overlays only).
  bool unlimited_peer_requests = false;
  // A client (concepts §3.4.2): puts and gets through the peers without
  // being one. Its packets say so (client_marking.hpp), so no peer puts it
  // in its routing table, and it refuses what others ask it to store.
  bool client = false;
};

struct opendht_stats {
  std::size_t good_nodes = 0;        // IPv4 routing table, confirmed nodes
  std::size_t known_nodes = 0;       // good + dubious
  std::size_t stored_values = 0;     // values in this node's store, its own puts included
  std::uint64_t lookups_served = 0;  // get/listen requests answered by this node
};

// A node of the routing table as an operator sees it.
struct known_node {
  std::string id;  // 40 hex digits
  asio::ip::udp::endpoint address;
};

class opendht_node final : public dht {
 public:
  opendht_node(asio::io_context& io, opendht_config config, std::vector<type_policy> types);
  ~opendht_node() override;

  // Opens the socket, restores the persisted state, starts bootstrapping.
  // Throws std::system_error when the socket cannot be bound.
  void start();
  // Saves the routing table and closes the socket at once, as a crash
  // would not; pending handlers are dropped, never called afterwards.
  void stop();
  // Closes the socket without saving anything, as a crash would; handlers
  // are dropped like after stop(). The destructor does this.
  void kill();
  // More first contacts, found after start (DNS SRV): pinged at once, and
  // again with the configured ones while no other node answers.
  void add_bootstrap(const std::vector<asio::ip::udp::endpoint>& contacts);

  asio::ip::udp::endpoint local_endpoint() const;
  std::string node_id() const;  // 40 hex digits
  opendht_stats stats() const;
  std::vector<known_node> routing_table() const;
  // Whether this node's own store holds a value (key, id): what a storer
  // keeps, for measuring replication (bench/overlay_bench).
  bool holds(const key& k, std::uint64_t id) const;

  void put(const key& k, value v, put_handler done) override;
  // Ends a settle time after the first value (see opendht_node.cpp), or
  // with the search when nothing is found.
  void get(const key& k, get_handler done) override;
  // Ends when OpenDHT ends the search, after every node asked has answered
  // or timed out: the reference bench/overlay_bench measures get() against.
  void get_whole_search(const key& k, get_handler done);
  // Settles or ends when `judge` says so; ends with the search otherwise.
  void get_until(const key& k, progress_handler judge, get_handler done) override;
  listen_token listen(const key& k, listen_handler on_change) override;
  void cancel_listen(listen_token token) override;

 private:
  void lookup(const key& k, get_handler done, progress_handler judge);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace p2psip::overlay
