#include "node/service_directory.hpp"

#include <spdlog/spdlog.h>

#include <map>

namespace p2psip::node {
namespace {

// A version lives this many refreshes: one lost put does not drop a live
// provider, and a dead one is gone within minutes.
constexpr int lifetimes_per_refresh = 3;

// Storers may hand back an older version beside a withdrawal, and the same
// version from several keys: the newest of each node's records decides.
std::vector<overlay::service_record> newest_offers(
    const std::vector<overlay::checked<overlay::service_record>>& found) {
  std::map<std::string, const overlay::checked<overlay::service_record>*> newest;
  for (const auto& c : found) {
    if (c.status != overlay::verdict::valid) continue;
    auto& slot = newest[c.body->node_id];
    if (slot == nullptr || c.sequence > slot->sequence) slot = &c;
  }
  std::vector<overlay::service_record> out;
  for (const auto& [node, c] : newest)
    if (!c->body->uris.empty()) out.push_back(*c->body);
  return out;
}

}  // namespace

service_directory::service_directory(asio::io_context& io, overlay::record_store& records,
                                     overlay::signer signer, std::string node_id,
                                     service_directory_settings settings)
    : records_(records),
      signer_(std::move(signer)),
      node_id_(std::move(node_id)),
      settings_(std::move(settings)),
      refresh_timer_(io) {}

service_directory::~service_directory() {
  refresh_timer_.cancel();
}

overlay::service_record service_directory::versioned(overlay::service_record r) const {
  r.service = settings_.service;
  r.node_id = node_id_;
  const auto life = settings_.refresh * lifetimes_per_refresh;
  r.expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                     overlay::wall_clock::now().time_since_epoch() + life)
                     .count();
  return r;
}

void service_directory::offer(overlay::service_record offer) {
  offer_ = std::move(offer);
  refresh_timer_.cancel();
  put_offer();
}

void service_directory::put_offer() {
  ++counters_.offers;
  records_.publish(signer_, versioned(offer_), settings_.density,
                   [this, alive = std::weak_ptr(alive_)](std::error_code ec) {
                     if (alive.expired()) return;
                     if (ec) {
                       ++counters_.offer_failures;
                       spdlog::warn("overlay {}: {} record not stored: {}", settings_.overlay_id,
                                    settings_.service, ec.message());
                     }
                   });
  schedule_refresh();
}

void service_directory::schedule_refresh() {
  refresh_timer_.expires_after(settings_.refresh);
  refresh_timer_.async_wait([this](std::error_code ec) {
    if (ec || !offering()) return;
    put_offer();
  });
}

void service_directory::withdraw(std::function<void(std::error_code)> done) {
  offer_ = {};
  refresh_timer_.cancel();
  records_.publish(signer_, versioned({}), settings_.density,
                   [alive = std::weak_ptr(alive_), done = std::move(done)](std::error_code ec) {
                     if (alive.expired()) return;
                     done(ec);
                   });
}

void service_directory::read(records_handler done, bool retry_empty) {
  const auto read_once = cached_at_ != std::chrono::steady_clock::time_point{};
  const auto fresh = read_once &&
                     std::chrono::steady_clock::now() - cached_at_ < settings_.cache_for &&
                     !(retry_empty && cached_.empty());
  if (fresh) return done(cached_);
  waiting_.push_back(std::move(done));
  if (!looking_up_) lookup();
}

void service_directory::lookup() {
  looking_up_ = true;
  ++counters_.lookups;
  records_.find_service(
      settings_.service, settings_.density, settings_.want,
      [this, alive = std::weak_ptr(alive_)](
          std::vector<overlay::checked<overlay::service_record>> found, std::error_code) {
        if (alive.expired()) return;
        looking_up_ = false;
        cached_ = newest_offers(found);
        if (cached_.empty()) ++counters_.lookup_failures;
        cached_at_ = std::chrono::steady_clock::now();
        auto waiting = std::move(waiting_);
        waiting_.clear();
        for (auto& w : waiting) w(cached_);
      });
}

}  // namespace p2psip::node
