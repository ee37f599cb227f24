// The work queue's per-key rate limiter: backoff that grows and is forgotten.

#include <gtest/gtest.h>

#include "base/backoff.h"
#include "controller/rate_limiter.h"

namespace tender {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

const Key kA{"Service", "ns", "a"};
const Key kB{"Service", "ns", "b"};

TEST(RateLimiter, DelaysDoubleFromTwoHundredMilliseconds) {
  RateLimiter limiter;
  EXPECT_EQ(limiter.when(kA), milliseconds(200));
  EXPECT_EQ(limiter.when(kA), milliseconds(400));
  EXPECT_EQ(limiter.when(kA), milliseconds(800));
  EXPECT_EQ(limiter.when(kA), milliseconds(1600));
  EXPECT_EQ(limiter.failures(kA), 4);
}

TEST(RateLimiter, DelayIsCappedAtFiveMinutes) {
  RateLimiter limiter;
  Millis last{0};
  for (int i = 0; i < 100; ++i) last = limiter.when(kA);
  EXPECT_EQ(last, minutes(5));
}

TEST(RateLimiter, ForgetStartsOverAtBase) {
  RateLimiter limiter;
  limiter.when(kA);
  limiter.when(kA);
  limiter.forget(kA);
  EXPECT_EQ(limiter.failures(kA), 0);
  EXPECT_EQ(limiter.when(kA), milliseconds(200));
}

TEST(RateLimiter, KeysAreCountedSeparately) {
  RateLimiter limiter;
  limiter.when(kA);
  limiter.when(kA);
  EXPECT_EQ(limiter.when(kB), milliseconds(200));
  EXPECT_EQ(limiter.failures(kA), 2);
}

TEST(RateLimiter, CustomBaseAndCap) {
  RateLimiter limiter(milliseconds(10), milliseconds(35));
  EXPECT_EQ(limiter.when(kA), milliseconds(10));
  EXPECT_EQ(limiter.when(kA), milliseconds(20));
  EXPECT_EQ(limiter.when(kA), milliseconds(35));
  EXPECT_EQ(limiter.when(kA), milliseconds(35));
}

TEST(ExponentialBackoff, GrowsByFactorUntilCapAndResets) {
  ExponentialBackoff b(milliseconds(100), milliseconds(5000));
  EXPECT_EQ(b.next(), milliseconds(100));
  EXPECT_EQ(b.next(), milliseconds(200));
  EXPECT_EQ(b.next(), milliseconds(400));
  for (int i = 0; i < 10; ++i) b.next();
  EXPECT_EQ(b.next(), milliseconds(5000));
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(100));
}

TEST(ExponentialBackoff, HugeAttemptCountsSaturateInsteadOfOverflowing) {
  EXPECT_EQ(exponentialDelay(milliseconds(200), 2.0, minutes(5), 5000), minutes(5));
}

}  // namespace
}  // namespace tender
