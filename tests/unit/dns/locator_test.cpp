// The locator's contract (when `done` runs, what destroying it does) and
// RFC 3263 §4.3 failover: the shared blocklist and greylist, in virtual time.
#include "dns/locator.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "fake_resolver.hpp"

namespace p2psip::dns::test {
namespace {

using namespace std::chrono_literals;
using transport::protocol;

class LocatorFailover : public ::testing::Test {
 protected:
  LocatorFailover() {
    // Three SRV targets, in this order whatever the random numbers say.
    dns_.set("_sip._udp.example.com", rr_type::srv,
             srvs({srv(1, 0, 5060, "a.example.com"), srv(2, 0, 5060, "b.example.com"),
                   srv(3, 0, 5060, "c.example.com")}));
    dns_.set("a.example.com", rr_type::a, addresses({"192.0.2.1"}));
    dns_.set("b.example.com", rr_type::a, addresses({"192.0.2.2"}));
    dns_.set("c.example.com", rr_type::a, addresses({"192.0.2.3"}));
  }

  struct outcome {
    std::error_code ec;
    std::vector<destination> found;
  };

  outcome locate() {
    outcome out;
    loc_.locate("sip:example.com;transport=udp",
                [&out](std::error_code ec, std::vector<destination> found) {
                  out.ec = ec;
                  out.found = std::move(found);
                });
    dns_.run();
    return out;
  }

  const destination a_ = dest(protocol::udp, "192.0.2.1", 5060);
  const destination b_ = dest(protocol::udp, "192.0.2.2", 5060);
  const destination c_ = dest(protocol::udp, "192.0.2.3", 5060);
  fake_resolver dns_;
  locator::clock::time_point now_ = locator::clock::time_point{} + 24h;
  locator loc_{dns_, {}, [] { return 0u; }, [this] { return now_; }};
};

TEST_F(LocatorFailover, WithoutFailuresTheDnsOrderStands) {
  EXPECT_EQ(locate().found, (std::vector{a_, b_, c_}));
}

TEST_F(LocatorFailover, TimedOutDestinationGoesLastForThirtyTwoSeconds) {
  loc_.failed(a_, failure::timeout);
  EXPECT_EQ(locate().found, (std::vector{b_, c_, a_}));
  now_ += 31s;
  EXPECT_EQ(locate().found, (std::vector{b_, c_, a_}));
  now_ += 2s;
  EXPECT_EQ(locate().found, (std::vector{a_, b_, c_}));
}

TEST_F(LocatorFailover, TransportErrorGreylistsToo) {
  loc_.failed(b_, failure::transport_error);
  EXPECT_EQ(locate().found, (std::vector{a_, c_, b_}));
}

TEST_F(LocatorFailover, ServiceUnavailableWithRetryAfterIsLeftOutThatLong) {
  loc_.failed(a_, failure::service_unavailable, 120s);
  EXPECT_EQ(locate().found, (std::vector{b_, c_}));
  now_ += 119s;
  EXPECT_EQ(locate().found, (std::vector{b_, c_}));
  now_ += 2s;
  EXPECT_EQ(locate().found, (std::vector{a_, b_, c_}));
}

TEST_F(LocatorFailover, ServiceUnavailableWithoutRetryAfterListsNothing) {
  loc_.failed(a_, failure::service_unavailable);
  loc_.failed(b_, failure::service_unavailable, 0s);
  EXPECT_EQ(locate().found, (std::vector{a_, b_, c_}));
}

TEST_F(LocatorFailover, RetryAfterIsClampedToAnHour) {
  loc_.failed(a_, failure::service_unavailable, std::chrono::seconds{7 * 24 * 3600});
  now_ += 3599s;
  EXPECT_EQ(locate().found, (std::vector{b_, c_}));
  now_ += 2s;
  EXPECT_EQ(locate().found, (std::vector{a_, b_, c_}));
}

TEST_F(LocatorFailover, BlocklistOutranksGreylist) {
  loc_.failed(a_, failure::timeout);
  loc_.failed(a_, failure::service_unavailable, 60s);
  EXPECT_EQ(locate().found, (std::vector{b_, c_}));
}

TEST_F(LocatorFailover, EveryDestinationBlocklistedIsAnError) {
  for (const auto& d : {a_, b_, c_}) loc_.failed(d, failure::service_unavailable, 30s);
  const auto out = locate();
  EXPECT_EQ(out.ec, error::all_blocklisted);
  EXPECT_TRUE(out.found.empty());
}

// Kamailio #4911: one call that failed at every target made every other
// call to the domain fail until the NAPTR TTL ran out. Here a request that
// timed out everywhere only reorders: the next request still gets all.
TEST_F(LocatorFailover, ARequestThatFailedEverywhereDoesNotFailTheNext) {
  const auto first = locate();
  for (const auto& d : first.found) loc_.failed(d, failure::timeout);
  const auto second = locate();
  EXPECT_FALSE(second.ec);
  EXPECT_EQ(second.found, (std::vector{a_, b_, c_}));
}

TEST_F(LocatorFailover, EachRequestGetsItsOwnCursor) {
  const auto first = locate();
  loc_.failed(first.found[0], failure::timeout);
  // The first request's list is its own: the greylisting reorders only
  // lists handed out later.
  EXPECT_EQ(first.found, (std::vector{a_, b_, c_}));
  EXPECT_EQ(locate().found, (std::vector{b_, c_, a_}));
}

TEST(FailoverLists, AreBounded) {
  failover_lists lists({.greylist_for = 32s, .max_retry_after = 3600s, .max_entries = 2});
  const auto now = failover_lists::clock::time_point{} + 1h;
  const auto d1 = dest(protocol::udp, "192.0.2.1", 5060);
  const auto d2 = dest(protocol::udp, "192.0.2.2", 5060);
  const auto d3 = dest(protocol::udp, "192.0.2.3", 5060);
  lists.block(d1, 10s, now);
  lists.block(d2, 100s, now);
  lists.block(d3, 50s, now);
  // The soonest to expire made room.
  EXPECT_FALSE(lists.blocked(d1, now));
  EXPECT_TRUE(lists.blocked(d2, now));
  EXPECT_TRUE(lists.blocked(d3, now));
}

TEST(Locator, DoneNeverRunsInsideLocateEvenWithoutDns) {
  fake_resolver dns;
  locator loc(
      dns, {}, [] { return 0u; }, [] { return locator::clock::now(); });
  int calls = 0;
  std::vector<destination> found;
  loc.locate("sip:192.0.2.1", [&](std::error_code, std::vector<destination> d) {
    ++calls;
    found = std::move(d);
  });
  loc.locate("not a uri", [&](std::error_code, std::vector<destination>) { ++calls; });
  EXPECT_EQ(calls, 0);
  dns.run();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(found, (std::vector{dest(protocol::udp, "192.0.2.1", 5060)}));
}

TEST(Locator, DestroyingItDropsPendingHandlersUncalled) {
  fake_resolver dns;
  dns.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  auto loc = std::make_unique<locator>(
      dns, locator::settings{}, [] { return 0u; }, [] { return locator::clock::now(); });
  int calls = 0;
  loc->locate("sip:example.com:5060", [&](std::error_code, std::vector<destination>) { ++calls; });
  loc->locate("sip:192.0.2.1", [&](std::error_code, std::vector<destination>) { ++calls; });
  loc.reset();
  EXPECT_GT(dns.run(), 0u);
  EXPECT_EQ(calls, 0);
}

TEST(Locator, ItMayBeDestroyedFromItsOwnHandler) {
  fake_resolver dns;
  dns.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  auto loc = std::make_unique<locator>(
      dns, locator::settings{}, [] { return 0u; }, [] { return locator::clock::now(); });
  int calls = 0;
  loc->locate("sip:example.com:5060", [&](std::error_code ec, std::vector<destination> d) {
    ++calls;
    EXPECT_FALSE(ec);
    EXPECT_EQ(d.size(), 1u);
    loc.reset();
  });
  dns.run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loc, nullptr);
}

}  // namespace
}  // namespace p2psip::dns::test
