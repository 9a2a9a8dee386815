// The TTL cache and the caching resolver in virtual time: expiry, negative
// caching (RFC 2308), clamps, bounds, coalescing of identical questions.
#include "dns/cache.hpp"

#include <gtest/gtest.h>

#include "dns/caching_resolver.hpp"
#include "fake_resolver.hpp"

namespace p2psip::dns::test {
namespace {

using namespace std::chrono_literals;
using clock = cache::clock;

answer with_ttl(answer a, std::chrono::seconds ttl) {
  a.ttl = ttl;
  return a;
}

class DnsCache : public ::testing::Test {
 protected:
  clock::time_point now_ = clock::time_point{} + 24h;
};

TEST_F(DnsCache, AnswerLivesForItsTtl) {
  cache c({});
  c.store("Example.com.", rr_type::a, {}, with_ttl(addresses({"192.0.2.1"}), 300s), now_);
  const auto hit = c.find("example.COM", rr_type::a, now_ + 299s);
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->error);
  EXPECT_EQ(hit->result.addresses.size(), 1u);
  EXPECT_EQ(hit->result.ttl, 1s);
  EXPECT_FALSE(c.find("example.com", rr_type::a, now_ + 300s));
  EXPECT_FALSE(c.find("example.com", rr_type::aaaa, now_));
}

TEST_F(DnsCache, TtlsAreClampedToTheSettings) {
  cache c({.max_entries = 10, .min_ttl = 30s, .max_ttl = 600s});
  c.store("short.example.com", rr_type::a, {}, with_ttl(addresses({"192.0.2.1"}), 1s), now_);
  c.store("long.example.com", rr_type::a, {}, with_ttl(addresses({"192.0.2.2"}), 86400s), now_);
  EXPECT_TRUE(c.find("short.example.com", rr_type::a, now_ + 29s));
  EXPECT_FALSE(c.find("short.example.com", rr_type::a, now_ + 30s));
  EXPECT_TRUE(c.find("long.example.com", rr_type::a, now_ + 599s));
  EXPECT_FALSE(c.find("long.example.com", rr_type::a, now_ + 600s));
}

TEST_F(DnsCache, ZeroTtlIsNotKept) {
  cache c({});
  c.store("example.com", rr_type::a, {}, with_ttl(addresses({"192.0.2.1"}), 0s), now_);
  EXPECT_EQ(c.size(), 0u);
}

TEST_F(DnsCache, NegativeAnswersLiveForTheSoaTtl) {
  cache c({});
  answer soa_says;
  soa_says.ttl = 45s;
  c.store("gone.example.com", rr_type::naptr, error::not_found, soa_says, now_);
  c.store("example.com", rr_type::aaaa, error::no_data, soa_says, now_);
  const auto nx = c.find("gone.example.com", rr_type::naptr, now_ + 44s);
  ASSERT_TRUE(nx);
  EXPECT_EQ(nx->error, error::not_found);
  EXPECT_EQ(c.find("example.com", rr_type::aaaa, now_)->error, error::no_data);
  EXPECT_FALSE(c.find("gone.example.com", rr_type::naptr, now_ + 45s));
}

TEST_F(DnsCache, NegativeAnswerWithoutSoaUsesTheDefaultAndTheCapHolds) {
  cache c({.negative_ttl = 20s, .max_negative_ttl = 100s});
  c.store("a.example.com", rr_type::srv, error::no_data, {}, now_);
  answer long_soa;
  long_soa.ttl = 86400s;
  c.store("b.example.com", rr_type::srv, error::not_found, long_soa, now_);
  EXPECT_TRUE(c.find("a.example.com", rr_type::srv, now_ + 19s));
  EXPECT_FALSE(c.find("a.example.com", rr_type::srv, now_ + 20s));
  EXPECT_TRUE(c.find("b.example.com", rr_type::srv, now_ + 99s));
  EXPECT_FALSE(c.find("b.example.com", rr_type::srv, now_ + 100s));
}

TEST_F(DnsCache, FailuresAreNotKept) {
  cache c({});
  for (const auto e : {error::timeout, error::server_failure, error::refused, error::bad_response})
    c.store("example.com", rr_type::a, e, with_ttl({}, 300s), now_);
  EXPECT_EQ(c.size(), 0u);
}

TEST_F(DnsCache, IsBoundedAndDropsTheSoonestToExpire) {
  cache c({.max_entries = 3});
  c.store("a", rr_type::a, {}, with_ttl(addresses({"192.0.2.1"}), 100s), now_);
  c.store("b", rr_type::a, {}, with_ttl(addresses({"192.0.2.2"}), 10s), now_);
  c.store("c", rr_type::a, {}, with_ttl(addresses({"192.0.2.3"}), 50s), now_);
  c.store("d", rr_type::a, {}, with_ttl(addresses({"192.0.2.4"}), 70s), now_);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.find("b", rr_type::a, now_));
  for (const auto* name : {"a", "c", "d"}) EXPECT_TRUE(c.find(name, rr_type::a, now_)) << name;
}

class Caching : public ::testing::Test {
 protected:
  Caching() { upstream_.set("example.com", rr_type::a, with_ttl(addresses({"192.0.2.1"}), 60s)); }

  std::pair<std::error_code, answer> ask(std::string_view name, rr_type type) {
    std::pair<std::error_code, answer> out{error::cancelled, {}};
    resolver_.query(name, type, [&out](std::error_code ec, answer a) { out = {ec, std::move(a)}; });
    upstream_.run();
    return out;
  }

  fake_resolver upstream_;
  clock::time_point now_ = clock::time_point{} + 24h;
  caching_resolver resolver_{upstream_, {}, [this] { return now_; }};
};

TEST_F(Caching, SecondQuestionIsAnsweredFromTheCacheUntilTheTtlRunsOut) {
  EXPECT_FALSE(ask("example.com", rr_type::a).first);
  now_ += 59s;
  const auto [ec, a] = ask("EXAMPLE.com.", rr_type::a);
  EXPECT_FALSE(ec);
  EXPECT_EQ(a.ttl, 1s);
  EXPECT_EQ(upstream_.asked.size(), 1u);
  now_ += 1s;
  ask("example.com", rr_type::a);
  EXPECT_EQ(upstream_.asked.size(), 2u);
  const auto stats = resolver_.stats();
  EXPECT_EQ(stats.queries, 3u);
  EXPECT_EQ(stats.cache_hits, 1u);
  EXPECT_EQ(stats.upstream, 2u);
}

TEST_F(Caching, NegativeAnswersAreCached) {
  answer soa_says;
  soa_says.ttl = 30s;
  upstream_.fail("gone.example.com", rr_type::naptr, error::not_found, soa_says);
  EXPECT_EQ(ask("gone.example.com", rr_type::naptr).first, error::not_found);
  now_ += 29s;
  EXPECT_EQ(ask("gone.example.com", rr_type::naptr).first, error::not_found);
  EXPECT_EQ(upstream_.asked.size(), 1u);
  now_ += 1s;
  ask("gone.example.com", rr_type::naptr);
  EXPECT_EQ(upstream_.asked.size(), 2u);
}

TEST_F(Caching, FailuresAreAskedAgainAndCounted) {
  upstream_.fail("down.example.com", rr_type::srv, error::timeout);
  EXPECT_EQ(ask("down.example.com", rr_type::srv).first, error::timeout);
  EXPECT_EQ(ask("down.example.com", rr_type::srv).first, error::timeout);
  EXPECT_EQ(upstream_.asked.size(), 2u);
  EXPECT_EQ(resolver_.stats().failures, 2u);
}

TEST_F(Caching, IdenticalQuestionsInFlightGoUpstreamOnce) {
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    resolver_.query(i % 2 ? "Example.Com" : "example.com", rr_type::a,
                    [&answered](std::error_code ec, answer a) {
                      EXPECT_FALSE(ec);
                      EXPECT_EQ(a.addresses.size(), 1u);
                      ++answered;
                    });
  }
  EXPECT_EQ(answered, 0);
  upstream_.run();
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(upstream_.asked.size(), 1u);
  EXPECT_EQ(resolver_.stats().coalesced, 4u);
}

TEST_F(Caching, CachedAnswersAreStillDeliveredLater) {
  ask("example.com", rr_type::a);
  bool called = false;
  resolver_.query("example.com", rr_type::a, [&called](std::error_code, answer) { called = true; });
  EXPECT_FALSE(called);
  upstream_.run();
  EXPECT_TRUE(called);
}

TEST(CachingResolver, DestroyedFromAHandlerItCallsNoMore) {
  fake_resolver upstream;
  upstream.set("example.com", rr_type::a, with_ttl(addresses({"192.0.2.1"}), 60s));
  auto r =
      std::make_unique<caching_resolver>(upstream, cache::settings{}, [] { return clock::now(); });
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    r->query("example.com", rr_type::a, [&](std::error_code, answer) {
      ++calls;
      r.reset();
    });
  }
  upstream.run();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace p2psip::dns::test
