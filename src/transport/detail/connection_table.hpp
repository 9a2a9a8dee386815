// The open connections by flow id (RFC 5626 flow tokens) and by peer
// address (RFC 3261 §18.1.1 reuse), and how many each source address holds.
#pragma once

#include <asio/ip/address.hpp>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "transport/detail/connection.hpp"

namespace p2psip::transport::detail {

class connection_table {
 public:
  // Flow ids are never reused while the layer lives, so a stale one cannot
  // reach a newer connection.
  flow_id next_flow() { return ++last_flow_; }

  void add(std::shared_ptr<connection> c);
  void remove(const connection& c);
  // Empties the table, for stop().
  std::vector<std::shared_ptr<connection>> take_all();

  std::shared_ptr<connection> find(flow_id flow) const;
  // Any connection of that protocol to that address and port.
  std::shared_ptr<connection> find_peer(const endpoint& to) const;

  std::size_t size() const { return by_flow_.size(); }
  std::size_t accepted_from(const asio::ip::address& source) const;

 private:
  struct peer {
    protocol proto;
    asio::ip::address address;
    std::uint16_t port;
    bool operator<(const peer& other) const;
  };
  static peer peer_of(const endpoint& e) { return {e.proto, e.address, e.port}; }

  std::unordered_map<flow_id, std::shared_ptr<connection>> by_flow_;
  std::multimap<peer, flow_id> by_peer_;
  std::unordered_map<asio::ip::address, std::size_t> accepted_per_source_;
  flow_id last_flow_ = 0;
};

}  // namespace p2psip::transport::detail
