// Observations counted in fixed buckets, as a Prometheus histogram is
// scraped (metrics_text::histogram). Bounds are fixed at construction, so
// observing is a search in a few doubles and an increment: cheap enough for
// every lookup and every call.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "ops/metrics_text.hpp"

namespace p2psip::ops {

class histogram {
 public:
  // Ascending bounds, without +Inf.
  explicit histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

  // Prometheus' default buckets, in seconds: for latencies from a few
  // milliseconds (a lookup a node answers itself) to ten seconds (a
  // search that waited for dead nodes).
  static histogram seconds() {
    return histogram({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  }

  void observe(double v) {
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
    ++counts_[static_cast<std::size_t>(bucket)];
    sum_ += v;
  }
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) {
    observe(std::chrono::duration<double>(d).count());
  }

  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (auto c : counts_) n += c;
    return n;
  }
  histogram_view view() const { return {bounds_, counts_, sum_}; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
};

}  // namespace p2psip::ops
