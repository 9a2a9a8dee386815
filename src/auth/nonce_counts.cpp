#include "auth/nonce_counts.hpp"

#include <limits>

namespace p2psip::auth {
namespace {

// The count recorded for a use without qop: nothing can come after it.
constexpr std::uint32_t used_up = std::numeric_limits<std::uint32_t>::max();

}  // namespace

nonce_counts::nonce_counts(std::size_t capacity, std::chrono::seconds lifetime)
    : capacity_(capacity == 0 ? 1 : capacity), lifetime_(lifetime) {}

bool nonce_counts::use(nonce_id nonce, std::optional<std::uint32_t> nc, std::int64_t now) {
  forget_expired(now);
  const auto at = used_.find(nonce.serial);
  if (at == used_.end()) {
    if (forgotten_up_to_ && nonce.serial <= *forgotten_up_to_) return false;
    if (nc && *nc == 0) return false;  // counts start at 00000001
    used_.emplace(nonce.serial, use_record{nonce.issued, nc.value_or(used_up)});
    forget_oldest_beyond_capacity();
    return true;
  }
  if (!nc || *nc <= at->second.highest) return false;
  at->second.highest = *nc;
  return true;
}

void nonce_counts::forget_expired(std::int64_t now) {
  // An expired nonce is refused as stale before its count matters. Serial
  // order is issue order unless the clock stepped back; then an entry
  // leaves later than it could, never earlier.
  const auto oldest_fresh = now - lifetime_.count();
  while (!used_.empty() && used_.begin()->second.issued < oldest_fresh) used_.erase(used_.begin());
}

void nonce_counts::forget_oldest_beyond_capacity() {
  while (used_.size() > capacity_) {
    forgotten_up_to_ = used_.begin()->first;
    used_.erase(used_.begin());
  }
}

}  // namespace p2psip::auth
