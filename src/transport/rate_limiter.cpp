#include "transport/rate_limiter.hpp"

#include <algorithm>
#include <iterator>

namespace p2psip::transport {

rate_limiter::rate_limiter(double rate_per_second, double burst, std::size_t max_sources)
    : rate_(rate_per_second), burst_(std::max(burst, 1.0)), max_sources_(max_sources) {}

bool rate_limiter::take(const asio::ip::address& source, clock::time_point now) {
  return take_down_to(source, now, 0);
}

bool rate_limiter::take_continuing(const asio::ip::address& source, clock::time_point now) {
  return take_down_to(source, now, -burst_);
}

bool rate_limiter::take_down_to(const asio::ip::address& source, clock::time_point now,
                                double floor) {
  if (rate_ <= 0) return true;
  auto* b = find_or_add(source, now);
  if (b == nullptr || b->tokens - 1 < floor) return false;
  b->tokens -= 1;
  return true;
}

bool rate_limiter::has_token(const asio::ip::address& source, clock::time_point now) {
  if (rate_ <= 0) return true;
  auto* b = find_or_add(source, now);
  return b != nullptr && b->tokens >= 1;
}

rate_limiter::bucket* rate_limiter::find_or_add(const asio::ip::address& source,
                                                clock::time_point now) {
  if (auto it = buckets_.find(source); it != buckets_.end()) {
    refill(it->second, now);
    return &it->second;
  }
  if (buckets_.size() >= max_sources_) forget_full_buckets(now);
  if (buckets_.size() >= max_sources_) return nullptr;
  return &buckets_.emplace(source, bucket{burst_, now}).first->second;
}

void rate_limiter::refill(bucket& b, clock::time_point now) const {
  if (now <= b.updated) return;
  const std::chrono::duration<double> elapsed = now - b.updated;
  b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
  b.updated = now;
}

// A full bucket holds nothing a new one would not: forgetting it is free.
// Sweeping is linear, so it runs at most once a second however hard the
// table is pushed.
void rate_limiter::forget_full_buckets(clock::time_point now) {
  if (last_sweep_ != clock::time_point{} && now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace p2psip::transport
