// An in-process DHT for unit tests that keeps the dht contract the way a
// real one does: each key is stored by the `replicas` live nodes whose ids
// are closest to it (XOR metric), each storer applies the type policies on
// its own, a killed node takes its storage with it, and handlers are posted
// to the io_context, never run inside the call. Time comes from a clock
// function so tests can expire values without sleeping.
#pragma once

#include <asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "overlay/dht.hpp"
#include "overlay/record_verifier.hpp"

namespace p2psip::overlay {

class memory_network {
 public:
  memory_network(asio::io_context& io, std::vector<type_policy> types,
                 std::function<wall_clock::time_point()> now, std::size_t replicas = 3);

  std::size_t live_nodes() const;

 private:
  friend class memory_dht;
  struct stored {
    value v;
    wall_clock::time_point expires;
  };
  struct node_state {
    key id;
    bool alive = true;
    std::map<key, std::map<std::uint64_t, stored>> storage;
    std::uint64_t lookups_served = 0;
  };
  struct listener {
    key k;
    dht::listen_handler handler;
  };

  std::vector<node_state*> storers(const key& k);
  const type_policy* policy(value_type t) const;
  bool store_at(node_state& n, const key& k, const value& v);
  void notify(const key& k, const value& v);

  asio::io_context& io_;
  std::vector<type_policy> types_;
  std::function<wall_clock::time_point()> now_;
  std::size_t replicas_;
  std::vector<std::shared_ptr<node_state>> nodes_;
  std::map<dht::listen_token, listener> listeners_;
  dht::listen_token next_token_ = 1;
};

class memory_dht final : public dht {
 public:
  explicit memory_dht(std::shared_ptr<memory_network> net);
  ~memory_dht() override;

  // Abrupt failure: the node's stored values are lost, its calls fail.
  void kill();
  bool alive() const { return self_->alive; }
  std::uint64_t lookups_served() const { return self_->lookups_served; }
  std::size_t stored_values() const;

  void put(const key& k, value v, put_handler done) override;
  void get(const key& k, get_handler done) override;
  listen_token listen(const key& k, listen_handler on_change) override;
  void cancel_listen(listen_token token) override;

 private:
  std::shared_ptr<memory_network> net_;
  std::shared_ptr<memory_network::node_state> self_;
  std::vector<listen_token> my_listens_;
};

}  // namespace p2psip::overlay
