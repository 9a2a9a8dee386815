// The Prometheus text format as metrics_text writes it; the e2e case
// `e2e.sipp.metrics` has promtool and prometheus_client read a node's.
#include "ops/metrics_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

#include "ops/histogram.hpp"

namespace p2psip::ops {
namespace {

TEST(MetricsText, AFamilyHasHelpTypeAndItsSamples) {
  metrics_text m;
  m.family("p2psip_sip_requests_received_total", metrics_text::kind::counter,
           "SIP requests, by method.");
  m.sample(12, {{"method", "INVITE"}});
  m.sample(3, {{"method", "BYE"}, {"transport", "UDP"}});
  m.family("p2psip_transactions_active", metrics_text::kind::gauge, "Transactions.");
  m.sample(7);
  EXPECT_EQ(m.text(),
            "# HELP p2psip_sip_requests_received_total SIP requests, by method.\n"
            "# TYPE p2psip_sip_requests_received_total counter\n"
            "p2psip_sip_requests_received_total{method=\"INVITE\"} 12\n"
            "p2psip_sip_requests_received_total{method=\"BYE\",transport=\"UDP\"} 3\n"
            "# HELP p2psip_transactions_active Transactions.\n"
            "# TYPE p2psip_transactions_active gauge\n"
            "p2psip_transactions_active 7\n");
}

// A label value may come from the network (a server URI, a node id): a
// quote, backslash or newline in it must not end the value or the line.
TEST(MetricsText, LabelValuesAndHelpAreEscaped) {
  metrics_text m;
  m.family("x", metrics_text::kind::gauge, "a \\ back\nslash");
  m.sample(1, {{"server", "turn:\"evil\"\\\n} 99"}});
  EXPECT_EQ(m.text(),
            "# HELP x a \\\\ back\\nslash\n"
            "# TYPE x gauge\n"
            "x{server=\"turn:\\\"evil\\\"\\\\\\n} 99\"} 1\n");
}

TEST(MetricsText, ValuesAreIntegersWhenWholeAndExactOtherwise) {
  metrics_text m;
  m.family("v", metrics_text::kind::gauge, "values");
  m.sample(0);
  m.sample(18446744073709.0);
  m.sample(0.25);
  m.sample(1e20);
  m.sample(std::numeric_limits<double>::infinity());
  m.sample(std::nan(""));
  EXPECT_EQ(m.text(),
            "# HELP v values\n# TYPE v gauge\n"
            "v 0\nv 18446744073709\nv 0.25\nv 1e+20\nv +Inf\nv NaN\n");
}

TEST(MetricsText, AHistogramIsCumulativeBucketsSumAndCount) {
  histogram h({0.125, 1});  // binary fractions: the sum is exact
  h.observe(0.0625);
  h.observe(0.125);  // at the bound: in its bucket (le means <=)
  h.observe(0.5);
  h.observe(std::chrono::seconds(3));
  EXPECT_EQ(h.count(), 4u);
  metrics_text m;
  m.family("p2psip_dht_lookup_seconds", metrics_text::kind::histogram, "Lookups.");
  m.histogram(h.view(), {{"node", "1"}});
  EXPECT_EQ(m.text(),
            "# HELP p2psip_dht_lookup_seconds Lookups.\n"
            "# TYPE p2psip_dht_lookup_seconds histogram\n"
            "p2psip_dht_lookup_seconds_bucket{node=\"1\",le=\"0.125\"} 2\n"
            "p2psip_dht_lookup_seconds_bucket{node=\"1\",le=\"1\"} 3\n"
            "p2psip_dht_lookup_seconds_bucket{node=\"1\",le=\"+Inf\"} 4\n"
            "p2psip_dht_lookup_seconds_sum{node=\"1\"} 3.6875\n"
            "p2psip_dht_lookup_seconds_count{node=\"1\"} 4\n");
}

}  // namespace
}  // namespace p2psip::ops
