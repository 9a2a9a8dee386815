// A token bucket in time passed in: `burst` requests at once, then
// `per_second` on average. Pure, so tests run it in virtual time.
#pragma once

#include <chrono>

namespace p2psip::ops {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // Starts full. `per_second` > 0 and `burst` >= 1.
  token_bucket(double per_second, double burst, clock::time_point now);

  // Takes one token when there is one.
  bool take(clock::time_point now);
  // Whole seconds until the next token, at least 1: the Retry-After.
  std::chrono::seconds retry_after(clock::time_point now) const;

 private:
  double level(clock::time_point now) const;

  double per_second_;
  double burst_;
  double tokens_;
  clock::time_point at_;
};

}  // namespace p2psip::ops
