#include "node/proxy_peers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "proxy/core.hpp"
#include "sip/uri.hpp"

namespace p2psip::node {
namespace {

// A version lives this many refreshes: one lost put does not drop a live
// proxy peer, and a dead one is gone within minutes.
constexpr int lifetimes_per_refresh = 3;

std::optional<transport::endpoint> endpoint_of(const std::string& uri) {
  const auto parsed = sip::parse_uri(uri);
  if (!parsed) return std::nullopt;
  return proxy::uri_endpoint(*parsed);
}

}  // namespace

proxy_peers::proxy_peers(asio::io_context& io, overlay::record_store& records,
                         overlay::signer signer, std::string node_id, proxy_peers_settings settings)
    : records_(records),
      signer_(std::move(signer)),
      node_id_(std::move(node_id)),
      settings_(std::move(settings)),
      refresh_timer_(io) {}

proxy_peers::~proxy_peers() {
  refresh_timer_.cancel();
}

overlay::service_record proxy_peers::record(std::vector<std::string> uris) const {
  overlay::service_record r;
  r.service = "sip:" + settings_.overlay_id;
  r.node_id = node_id_;
  r.uris = std::move(uris);
  const auto life = settings_.refresh * lifetimes_per_refresh;
  r.expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                     overlay::wall_clock::now().time_since_epoch() + life)
                     .count();
  return r;
}

void proxy_peers::offer(std::string uri) {
  uri_ = std::move(uri);
  refresh_timer_.cancel();
  put_offer();
}

void proxy_peers::put_offer() {
  ++counters_.offers;
  records_.publish(signer_, record({uri_}), settings_.density,
                   [this, alive = std::weak_ptr(alive_)](std::error_code ec) {
                     if (alive.expired()) return;
                     if (ec) {
                       ++counters_.offer_failures;
                       spdlog::warn("overlay {}: proxy peer record not stored: {}",
                                    settings_.overlay_id, ec.message());
                     }
                   });
  schedule_refresh();
}

void proxy_peers::schedule_refresh() {
  refresh_timer_.expires_after(settings_.refresh);
  refresh_timer_.async_wait([this](std::error_code ec) {
    if (ec || uri_.empty()) return;
    put_offer();
  });
}

void proxy_peers::withdraw(std::function<void(std::error_code)> done) {
  uri_.clear();
  refresh_timer_.cancel();
  records_.publish(signer_, record({}), settings_.density,
                   [alive = std::weak_ptr(alive_), done = std::move(done)](std::error_code ec) {
                     if (alive.expired()) return;
                     done(ec);
                   });
}

void proxy_peers::find(found_handler done) {
  const auto fresh =
      std::chrono::steady_clock::now() - cached_at_ < settings_.cache_for && !cached_.empty();
  if (fresh) {
    auto out = cached_;
    std::shuffle(out.begin(), out.end(), random_);
    return done(std::move(out));
  }
  waiting_.push_back(std::move(done));
  if (!looking_up_) lookup();
}

void proxy_peers::members(members_handler done) {
  // Unlike find(), an empty list is an answer too: no proxy peer is known.
  const auto read = cached_at_ != std::chrono::steady_clock::time_point{};
  if (read && std::chrono::steady_clock::now() - cached_at_ < settings_.cache_for)
    return done(cached_members_);
  waiting_members_.push_back(std::move(done));
  if (!looking_up_) lookup();
}

std::optional<transport::endpoint> proxy_peers::link_of(const std::string& node_id) const {
  const auto it = links_.find(node_id);
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

void proxy_peers::lookup() {
  looking_up_ = true;
  ++counters_.lookups;
  records_.find_service(
      "sip:" + settings_.overlay_id, settings_.density,
      [this, alive = std::weak_ptr(alive_)](
          std::vector<overlay::checked<overlay::service_record>> found, std::error_code) {
        if (alive.expired()) return;
        looking_up_ = false;
        // Storers may hand back an older version beside a withdrawal: the
        // newest of each node's records decides.
        std::map<std::string, const overlay::checked<overlay::service_record>*> newest;
        for (const auto& c : found) {
          if (c.status != overlay::verdict::valid) continue;
          auto& slot = newest[c.body->node_id];
          if (slot == nullptr || c.sequence > slot->sequence) slot = &c;
        }
        std::vector<transport::endpoint> peers;
        std::vector<std::string> members;  // in the map's order: sorted
        links_.clear();
        for (const auto& [node, c] : newest) {
          if (c->body->uris.empty()) continue;
          members.push_back(node);
          const auto e = endpoint_of(c->body->uris.front());
          if (e) links_[node] = *e;
          if (node == node_id_) continue;
          if (e && std::find(peers.begin(), peers.end(), *e) == peers.end()) peers.push_back(*e);
        }
        if (peers.empty()) ++counters_.lookup_failures;
        cached_ = peers;
        cached_members_ = members;
        cached_at_ = std::chrono::steady_clock::now();
        auto waiting = std::move(waiting_);
        waiting_.clear();
        auto waiting_members = std::move(waiting_members_);
        waiting_members_.clear();
        for (auto& w : waiting_members) w(members);
        for (auto& w : waiting) {
          auto out = peers;
          std::shuffle(out.begin(), out.end(), random_);
          w(std::move(out));
        }
      });
}

}  // namespace p2psip::node
