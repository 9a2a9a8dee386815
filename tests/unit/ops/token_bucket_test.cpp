// The API's token bucket in virtual time.
#include "ops/token_bucket.hpp"

#include <gtest/gtest.h>

namespace p2psip::ops {
namespace {

using namespace std::chrono_literals;
const token_bucket::clock::time_point t0{};

TEST(TokenBucket, BurstThenTheRate) {
  token_bucket bucket(2, 3, t0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(t0)) << i;
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 + 400ms));
  EXPECT_TRUE(bucket.take(t0 + 500ms));  // one token every 500 ms
  EXPECT_FALSE(bucket.take(t0 + 500ms));
  // Idle for long, it holds no more than the burst.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(t0 + 1h)) << i;
  EXPECT_FALSE(bucket.take(t0 + 1h));
}

TEST(TokenBucket, RetryAfterIsTheWholeSecondsUntilAToken) {
  token_bucket slow(0.1, 1, t0);
  ASSERT_TRUE(slow.take(t0));
  EXPECT_EQ(slow.retry_after(t0), 10s);
  EXPECT_EQ(slow.retry_after(t0 + 2500ms), 8s);  // 7.5 s rounded up
  token_bucket fast(100, 1, t0);
  ASSERT_TRUE(fast.take(t0));
  EXPECT_EQ(fast.retry_after(t0), 1s);  // never 0: "now" would invite a tight loop
}

}  // namespace
}  // namespace p2psip::ops
