#include "transport/detail/connection_table.hpp"

#include <tuple>

namespace p2psip::transport::detail {

bool connection_table::peer::operator<(const peer& other) const {
  return std::tie(proto, address, port) < std::tie(other.proto, other.address, other.port);
}

void connection_table::add(std::shared_ptr<connection> c) {
  const auto& remote = c->remote();
  by_peer_.emplace(peer_of(remote), remote.flow);
  if (c->accepted()) ++accepted_per_source_[remote.address];
  by_flow_.emplace(remote.flow, std::move(c));
}

void connection_table::remove(const connection& c) {
  const auto& remote = c.remote();
  const auto it = by_flow_.find(remote.flow);
  if (it == by_flow_.end() || it->second.get() != &c) return;
  by_flow_.erase(it);
  auto [first, last] = by_peer_.equal_range(peer_of(remote));
  for (; first != last; ++first) {
    if (first->second == remote.flow) {
      by_peer_.erase(first);
      break;
    }
  }
  if (c.accepted()) {
    const auto count = accepted_per_source_.find(remote.address);
    if (count != accepted_per_source_.end() && --count->second == 0)
      accepted_per_source_.erase(count);
  }
}

std::vector<std::shared_ptr<connection>> connection_table::take_all() {
  std::vector<std::shared_ptr<connection>> all;
  all.reserve(by_flow_.size());
  for (auto& [flow, c] : by_flow_) all.push_back(std::move(c));
  by_flow_.clear();
  by_peer_.clear();
  accepted_per_source_.clear();
  return all;
}

std::shared_ptr<connection> connection_table::find(flow_id flow) const {
  const auto it = by_flow_.find(flow);
  return it == by_flow_.end() ? nullptr : it->second;
}

std::shared_ptr<connection> connection_table::find_peer(const endpoint& to) const {
  const auto it = by_peer_.find(peer_of(to));
  return it == by_peer_.end() ? nullptr : find(it->second);
}

std::size_t connection_table::accepted_from(const asio::ip::address& source) const {
  const auto it = accepted_per_source_.find(source);
  return it == accepted_per_source_.end() ? 0 : it->second;
}

}  // namespace p2psip::transport::detail
