// RFC 2782's selection among SRV records of one priority, checked against
// its probabilities with a seeded generator and against scripted numbers.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "dns/rfc3263.hpp"
#include "fake_resolver.hpp"

namespace p2psip::dns::test {
namespace {

constexpr int draws = 10000;

// How often each target came first over `draws` orderings.
std::map<std::string, double> first_pick_shares(const std::vector<srv_record>& records) {
  std::mt19937 engine(20240601);
  const random_source random = [&engine] { return static_cast<std::uint32_t>(engine()); };
  std::map<std::string, double> shares;
  for (int i = 0; i < draws; ++i) shares[srv_order(records, random).front().target] += 1.0 / draws;
  return shares;
}

TEST(SrvOrder, WeightsShareTheFirstPickWithinThreePercent) {
  const auto shares =
      first_pick_shares({srv(0, 10, 5060, "a"), srv(0, 30, 5060, "b"), srv(0, 60, 5060, "c")});
  EXPECT_NEAR(shares.at("a"), 0.10, 0.03);
  EXPECT_NEAR(shares.at("b"), 0.30, 0.03);
  EXPECT_NEAR(shares.at("c"), 0.60, 0.03);
}

TEST(SrvOrder, SecondPickFollowsTheRemainingWeights) {
  // With "c" (60) taken first, "a" and "b" share 10:30 for second place.
  std::mt19937 engine(7);
  const random_source random = [&engine] { return static_cast<std::uint32_t>(engine()); };
  int after_c = 0;
  int b_second = 0;
  for (int i = 0; i < draws; ++i) {
    const auto order =
        srv_order({srv(0, 10, 5060, "a"), srv(0, 30, 5060, "b"), srv(0, 60, 5060, "c")}, random);
    if (order[0].target != "c") continue;
    ++after_c;
    if (order[1].target == "b") ++b_second;
  }
  EXPECT_NEAR(static_cast<double>(b_second) / after_c, 0.75, 0.03);
}

// RFC 2782: weight-0 records "have a very small chance of being selected"
// when others have weight: they come first in the running sum, so they are
// picked only when the random number is 0 — 1 in (sum + 1).
TEST(SrvOrder, WeightZeroIsPickedFirstOnlyRarely) {
  const auto shares = first_pick_shares({srv(0, 10, 5060, "heavy"), srv(0, 0, 5060, "zero")});
  EXPECT_NEAR(shares.at("zero"), 1.0 / 11, 0.03);
  EXPECT_NEAR(shares.at("heavy"), 10.0 / 11, 0.03);
}

TEST(SrvOrder, WeightZeroRecordComesFirstWhenTheNumberDrawnIsZero) {
  const auto order = srv_order(
      {srv(0, 50, 5060, "a"), srv(0, 0, 5060, "zero"), srv(0, 50, 5060, "b")}, [] { return 0u; });
  EXPECT_EQ(order.front().target, "zero");
}

TEST(SrvOrder, TheLargestNumberDrawnPicksTheLastInTheRunningSum) {
  const auto order =
      srv_order({srv(0, 50, 5060, "a"), srv(0, 0, 5060, "zero"), srv(0, 50, 5060, "b")},
                [] { return 0xffffffffu; });
  EXPECT_EQ(order[0].target, "b");
  EXPECT_EQ(order[1].target, "a");
  EXPECT_EQ(order[2].target, "zero");
}

TEST(SrvOrder, AllWeightsZeroIsUniform) {
  const auto shares =
      first_pick_shares({srv(0, 0, 5060, "a"), srv(0, 0, 5060, "b"), srv(0, 0, 5060, "c")});
  for (const auto& [target, share] : shares) EXPECT_NEAR(share, 1.0 / 3, 0.03) << target;
}

TEST(SrvOrder, PriorityOutranksWeight) {
  std::mt19937 engine(1);
  const random_source random = [&engine] { return static_cast<std::uint32_t>(engine()); };
  for (int i = 0; i < 100; ++i) {
    const auto order = srv_order(
        {srv(20, 1000, 5060, "late"), srv(10, 1, 5060, "early1"), srv(10, 0, 5060, "early2")},
        random);
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[2].target, "late");
  }
}

TEST(SrvOrder, ASingleRecordNeedsNoRandomNumber) {
  int calls = 0;
  const auto order = srv_order({srv(0, 5, 5060, "only")}, [&calls] {
    ++calls;
    return 0u;
  });
  EXPECT_EQ(order.size(), 1u);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace p2psip::dns::test
