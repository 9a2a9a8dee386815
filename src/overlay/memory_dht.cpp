#include "overlay/memory_dht.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <string>

namespace p2psip::overlay {
namespace {

// XOR distance compared as a big-endian number, as Kademlia does.
bool closer(const key& target, const key& a, const key& b) {
  for (std::size_t i = 0; i < target.bytes.size(); ++i) {
    auto da = static_cast<std::uint8_t>(a.bytes[i] ^ target.bytes[i]);
    auto db = static_cast<std::uint8_t>(b.bytes[i] ^ target.bytes[i]);
    if (da != db) return da < db;
  }
  return false;
}

std::error_code node_down() {
  return std::make_error_code(std::errc::network_down);
}

}  // namespace

memory_network::memory_network(asio::io_context& io, std::vector<type_policy> types,
                               std::function<wall_clock::time_point()> now, std::size_t replicas)
    : io_(io), types_(std::move(types)), now_(std::move(now)), replicas_(replicas) {}

std::size_t memory_network::live_nodes() const {
  return static_cast<std::size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const auto& n) { return n->alive; }));
}

std::vector<memory_network::node_state*> memory_network::storers(const key& k) {
  std::vector<node_state*> live;
  for (const auto& n : nodes_)
    if (n->alive) live.push_back(n.get());
  std::size_t count = std::min(replicas_, live.size());
  std::partial_sort(
      live.begin(), live.begin() + static_cast<std::ptrdiff_t>(count), live.end(),
      [&](const node_state* a, const node_state* b) { return closer(k, a->id, b->id); });
  live.resize(count);
  return live;
}

const type_policy* memory_network::policy(value_type t) const {
  auto it =
      std::find_if(types_.begin(), types_.end(), [&](const type_policy& p) { return p.type == t; });
  return it == types_.end() ? nullptr : &*it;
}

bool memory_network::store_at(node_state& n, const key& k, const value& v) {
  const type_policy* p = policy(v.type);
  if (p == nullptr) return false;  // an unknown type is not stored (OpenDHT would keep it 10 min)
  wall_clock::time_point now = now_();
  auto& by_id = n.storage[k];
  auto it = by_id.find(v.id);
  if (it != by_id.end() && it->second.expires > now) {
    if (it->second.v == v) return true;
    if (!p->accept_edit || !p->accept_edit(k, it->second.v, v)) return false;
  } else if (p->accept_store && !p->accept_store(k, v)) {
    return false;
  }
  by_id[v.id] = stored{v, now + p->lifetime};
  return true;
}

void memory_network::notify(const key& k, const value& v) {
  for (const auto& [token, l] : listeners_) {
    if (l.k != k) continue;
    asio::post(io_, [this, token = token, v] {
      auto it = listeners_.find(token);
      if (it != listeners_.end()) it->second.handler({v}, false);
    });
  }
}

memory_dht::memory_dht(std::shared_ptr<memory_network> net) : net_(std::move(net)) {
  self_ = std::make_shared<memory_network::node_state>();
  self_->id = make_key("memory", "node", std::to_string(net_->nodes_.size()));
  net_->nodes_.push_back(self_);
}

memory_dht::~memory_dht() {
  for (listen_token t : my_listens_) net_->listeners_.erase(t);
  std::erase(net_->nodes_, self_);
}

void memory_dht::kill() {
  self_->alive = false;
  self_->storage.clear();
  for (listen_token t : my_listens_) net_->listeners_.erase(t);
  my_listens_.clear();
}

std::size_t memory_dht::stored_values() const {
  std::size_t n = 0;
  for (const auto& [k, by_id] : self_->storage) n += by_id.size();
  return n;
}

void memory_dht::put(const key& k, value v, put_handler done) {
  if (!self_->alive) {
    asio::post(net_->io_, [done = std::move(done)] { done(node_down()); });
    return;
  }
  bool reached = false;
  bool kept = false;
  for (memory_network::node_state* n : net_->storers(k)) {
    reached = true;
    kept = net_->store_at(*n, k, v) || kept;
  }
  if (kept) net_->notify(k, v);
  // Like OpenDHT: reaching storers is success, whether or not they kept it.
  std::error_code ec =
      reached ? std::error_code{} : std::make_error_code(std::errc::host_unreachable);
  asio::post(net_->io_, [done = std::move(done), ec] { done(ec); });
}

void memory_dht::get(const key& k, get_handler done) {
  if (!self_->alive) {
    asio::post(net_->io_, [done = std::move(done)] { done({}, node_down()); });
    return;
  }
  std::vector<value> found;
  wall_clock::time_point now = net_->now_();
  for (memory_network::node_state* n : net_->storers(k)) {
    ++n->lookups_served;
    auto it = n->storage.find(k);
    if (it == n->storage.end()) continue;
    for (const auto& [id, s] : it->second) {
      // Different storers may hold different versions under one id; a
      // reader must see them all to pick the newest.
      if (s.expires > now && std::find(found.begin(), found.end(), s.v) == found.end())
        found.push_back(s.v);
    }
  }
  asio::post(net_->io_, [done = std::move(done), found = std::move(found)]() mutable {
    done(std::move(found), {});
  });
}

dht::listen_token memory_dht::listen(const key& k, listen_handler on_change) {
  listen_token t = net_->next_token_++;
  net_->listeners_[t] = memory_network::listener{k, std::move(on_change)};
  my_listens_.push_back(t);
  // Like OpenDHT, a new listener first hears the values already stored.
  wall_clock::time_point now = net_->now_();
  std::vector<value> current;
  for (memory_network::node_state* n : net_->storers(k)) {
    auto it = n->storage.find(k);
    if (it == n->storage.end()) continue;
    for (const auto& [id, s] : it->second)
      if (s.expires > now && std::find(current.begin(), current.end(), s.v) == current.end())
        current.push_back(s.v);
  }
  if (!current.empty()) {
    asio::post(net_->io_, [net = net_, t, current = std::move(current)] {
      auto it = net->listeners_.find(t);
      if (it != net->listeners_.end()) it->second.handler(current, false);
    });
  }
  return t;
}

void memory_dht::cancel_listen(listen_token token) {
  net_->listeners_.erase(token);
  std::erase(my_listens_, token);
}

}  // namespace p2psip::overlay
