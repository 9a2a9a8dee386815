// The token bucket, with time moved by hand.
#include "transport/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace p2psip::transport {
namespace {

using namespace std::chrono_literals;
const auto a = asio::ip::make_address("192.0.2.1");
const auto b = asio::ip::make_address("2001:db8::1");
const rate_limiter::clock::time_point t0{1h};

TEST(rate_limiter, burst_is_spent_then_refused) {
  rate_limiter limiter(10, 3);
  EXPECT_TRUE(limiter.take(a, t0));
  EXPECT_TRUE(limiter.take(a, t0));
  EXPECT_TRUE(limiter.take(a, t0));
  EXPECT_FALSE(limiter.take(a, t0));
}

TEST(rate_limiter, tokens_come_back_at_the_rate) {
  rate_limiter limiter(10, 2);
  ASSERT_TRUE(limiter.take(a, t0));
  ASSERT_TRUE(limiter.take(a, t0));
  EXPECT_FALSE(limiter.take(a, t0 + 50ms));  // half a token
  EXPECT_TRUE(limiter.take(a, t0 + 100ms));
  EXPECT_FALSE(limiter.take(a, t0 + 100ms));
  // Never more than the burst, however long the pause.
  EXPECT_TRUE(limiter.take(a, t0 + 1h));
  EXPECT_TRUE(limiter.take(a, t0 + 1h));
  EXPECT_FALSE(limiter.take(a, t0 + 1h));
}

TEST(rate_limiter, requests_continuing_accepted_work_may_run_the_bucket_into_debt) {
  rate_limiter limiter(10, 2);
  ASSERT_TRUE(limiter.take(a, t0));
  ASSERT_TRUE(limiter.take(a, t0));
  EXPECT_FALSE(limiter.take(a, t0));
  // Empty for new requests; the ends of accepted calls still pass, down
  // to a debt of one burst.
  EXPECT_TRUE(limiter.take_continuing(a, t0));
  EXPECT_TRUE(limiter.take_continuing(a, t0));
  EXPECT_FALSE(limiter.take_continuing(a, t0));
  // The debt is repaid before a new request passes: 2 tokens owed, so the
  // next new one waits 300 ms, not 100.
  EXPECT_FALSE(limiter.take(a, t0 + 200ms));
  EXPECT_TRUE(limiter.take(a, t0 + 300ms));
}

TEST(rate_limiter, sources_have_their_own_buckets) {
  rate_limiter limiter(1, 1);
  EXPECT_TRUE(limiter.take(a, t0));
  EXPECT_FALSE(limiter.take(a, t0));
  EXPECT_TRUE(limiter.take(b, t0));
}

TEST(rate_limiter, has_token_does_not_take_one) {
  rate_limiter limiter(1, 1);
  EXPECT_TRUE(limiter.has_token(a, t0));
  EXPECT_TRUE(limiter.has_token(a, t0));
  EXPECT_TRUE(limiter.take(a, t0));
  EXPECT_FALSE(limiter.has_token(a, t0));
}

TEST(rate_limiter, zero_rate_lets_everything_through) {
  rate_limiter limiter(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.take(a, t0));
  EXPECT_EQ(limiter.tracked_sources(), 0u);
}

TEST(rate_limiter, table_is_bounded_and_forgets_full_buckets) {
  rate_limiter limiter(1, 2, 2);
  const auto c = asio::ip::make_address("192.0.2.3");
  ASSERT_TRUE(limiter.take(a, t0));
  ASSERT_TRUE(limiter.take(b, t0));
  // Both buckets are in use: a third source has no room.
  EXPECT_FALSE(limiter.take(c, t0));
  EXPECT_EQ(limiter.tracked_sources(), 2u);
  // Two seconds on both are full again and make room.
  EXPECT_TRUE(limiter.take(c, t0 + 2s));
  EXPECT_EQ(limiter.tracked_sources(), 1u);
}

}  // namespace
}  // namespace p2psip::transport
