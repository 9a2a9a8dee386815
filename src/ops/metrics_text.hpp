// The Prometheus text exposition format (version 0.0.4), as a scraper
// (Prometheus, VictoriaMetrics, `promtool check metrics`) reads it:
//
//   # HELP p2psip_sip_requests_received_total SIP requests received, by method.
//   # TYPE p2psip_sip_requests_received_total counter
//   p2psip_sip_requests_received_total{method="INVITE"} 12
//
// A family is opened with its name, type and help; the samples that follow
// belong to it. Label values come from the network at times (a method, a
// reason), so they are escaped here, never by the caller. Names are the
// caller's constants and are not checked.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace p2psip::ops {

using label = std::pair<std::string_view, std::string_view>;
using labels = std::initializer_list<label>;

// Counts of observations at or below each bound (not cumulative: each
// observation is in one bucket), the last bucket being +Inf; sum in the
// bounds' unit. Held by whoever observes, written by metrics_text.
struct histogram_view {
  std::span<const double> bounds;         // ascending, without +Inf
  std::span<const std::uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
};

class metrics_text {
 public:
  enum class kind : std::uint8_t { counter, gauge, histogram };

  void family(std::string_view name, kind k, std::string_view help);
  // A sample of the open family (a counter's or a gauge's).
  void sample(double value, labels l = {});
  // The open histogram's _bucket, _sum and _count samples.
  void histogram(const histogram_view& h, labels l = {});

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void line(std::string_view suffix, labels l, std::string_view extra_name,
            std::string_view extra_value, double value);

  std::string out_;
  std::string name_;
};

// "text/plain; version=0.0.4; charset=utf-8": what a scraper expects.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace p2psip::ops
