#include "ops/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace p2psip::ops {

token_bucket::token_bucket(double per_second, double burst, clock::time_point now)
    : per_second_(per_second), burst_(burst), tokens_(burst), at_(now) {}

double token_bucket::level(clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now > at_ ? now - at_ : clock::duration::zero();
  return std::min(burst_, tokens_ + elapsed.count() * per_second_);
}

bool token_bucket::take(clock::time_point now) {
  tokens_ = level(now);
  at_ = std::max(at_, now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::chrono::seconds token_bucket::retry_after(clock::time_point now) const {
  const double missing = 1 - level(now);
  if (missing <= 0) return std::chrono::seconds(1);
  const auto wait = static_cast<long long>(std::ceil(missing / per_second_));
  return std::chrono::seconds(std::max(1LL, wait));
}

}  // namespace p2psip::ops
