// SPDX-License-Identifier: BSD-3-Clause
// TokenBucket over simulated time: long-run rate, burst, reconfiguration, idle gaps up to
// centuries at 100 Gb/s (UBSan would flag a signed overflow; the values are checked).
#include "userspace/pipe/token_bucket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

namespace dmpd::pipe {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

// A greedy sender: tries `message` bytes at random intervals for `span` ns; returns bytes.
uint64_t Drive(TokenBucket& b, uint64_t start, uint64_t span, uint64_t message,
               uint64_t max_step_ns, uint64_t seed) {
  std::mt19937_64 g(seed);
  uint64_t sent = 0;
  for (uint64_t t = start; t <= start + span; t += g() % max_step_ns) {
    while (b.TryConsume(message, t)) sent += message;
  }
  return sent;
}

TEST(TokenBucket, RejectsImpossibleSettings) {
  EXPECT_FALSE(TokenBucket::Create(1000, 0, 0).ok());
  EXPECT_FALSE(TokenBucket::Create(TokenBucket::kMaxRate + 1, 1000, 0).ok());
  EXPECT_FALSE(TokenBucket::Create(1000, TokenBucket::kMaxBurst + 1, 0).ok());
  auto b = TokenBucket::Create(1000, 1000, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->SetRate(1000, 0, 0).ok());
  EXPECT_EQ(b->rate(), 1000u);
}

TEST(TokenBucket, BurstThenRate) {
  auto b = *TokenBucket::Create(1000, 5000, 100);
  EXPECT_TRUE(b.TryConsume(5000, 100));
  EXPECT_FALSE(b.TryConsume(1, 100));
  EXPECT_FALSE(b.TryConsume(1000, 100 + kSecond - 1));
  EXPECT_TRUE(b.TryConsume(1000, 100 + kSecond));
  EXPECT_FALSE(b.TryConsume(5001, 100 + 100 * kSecond)) << "more than the burst never fits";
  EXPECT_EQ(b.Available(100 + 100 * kSecond), 5000u) << "idle time fills up to the burst only";
}

TEST(TokenBucket, LongRunRateWithinOnePercent) {
  struct Case {
    uint64_t rate, burst, message, span, max_step;
  };
  const Case cases[] = {
      {12'500'000'000, 256 * 1024, 1500, 2 * kSecond, 20'000},  // 100 Gb/s
      {125'000'000, 64 * 1024, 64, 5 * kSecond, 100'000},       // 1 Gb/s, small messages
      {1000, 100, 37, 3600 * kSecond, 50'000'000},              // 1 kB/s for an hour
  };
  for (const Case& c : cases) {
    auto b = *TokenBucket::Create(c.rate, c.burst, 0);
    const uint64_t sent = Drive(b, 0, c.span, c.message, c.max_step, c.rate);
    const double expected = static_cast<double>(c.rate) * c.span / kSecond + c.burst;
    EXPECT_NEAR(sent / expected, 1.0, 0.01) << c.rate;
    EXPECT_LE(sent, expected) << "never more than rate x time + burst";
  }
}

TEST(TokenBucket, ExactOverManySmallSteps) {
  // 3 bytes/s refilled every ns for 10 s: sums of 3e-9 byte each are kept exactly.
  auto b = *TokenBucket::Create(3, 1, 0);
  uint64_t sent = b.TryConsume(1, 0) ? 1 : 0;
  for (uint64_t t = 1; t <= 10 * kSecond; t += 997) sent += b.TryConsume(1, t) ? 1 : 0;
  EXPECT_EQ(sent, 1u + 30u - 1u);  // 29.99...: the last byte is not there yet at t < 10 s
}

TEST(TokenBucket, SetRateDownClampsAndUpKeepsTokens) {
  auto b = *TokenBucket::Create(1'000'000, 100'000, 0);
  EXPECT_TRUE(b.TryConsume(50'000, 0));
  ASSERT_TRUE(b.SetRate(1000, 10'000, 0).ok());  // lower the bandwidth (PIPE-2)
  EXPECT_EQ(b.Available(0), 10'000u);
  EXPECT_TRUE(b.TryConsume(10'000, 0));
  EXPECT_EQ(b.Available(kSecond), 1000u);  // the new rate
  // Time before the change accrues at the old rate: 1 s at 1000 B/s, then raise.
  ASSERT_TRUE(b.SetRate(1'000'000, 100'000, 2 * kSecond).ok());
  EXPECT_EQ(b.Available(2 * kSecond), 2000u);
  EXPECT_EQ(b.Available(2 * kSecond + kSecond / 10), 100'000u);  // 102 000 clamped
  const uint64_t sent = Drive(b, 3 * kSecond, 10 * kSecond, 1000, 1'000'000, 1);
  EXPECT_NEAR(sent / (1e6 * 10 + 1e5), 1.0, 0.01);
}

TEST(TokenBucket, HugeGapsDoNotOverflow) {
  auto b = *TokenBucket::Create(12'500'000'000, TokenBucket::kMaxBurst, 0);
  EXPECT_TRUE(b.TryConsume(TokenBucket::kMaxBurst, 0));
  EXPECT_EQ(b.Available(1), 12u);
  EXPECT_EQ(b.Available(std::numeric_limits<uint64_t>::max()), TokenBucket::kMaxBurst);
  // Just under the time to fill, the product is at its largest.
  auto m = *TokenBucket::Create(TokenBucket::kMaxRate, TokenBucket::kMaxBurst, 0);
  m.ForceConsume(TokenBucket::kMaxBurst, 0);
  m.ForceConsume(TokenBucket::kMaxBurst * 3, 0);  // clamped: the deepest debt allowed
  EXPECT_EQ(m.Available(0), 0u);
  const uint64_t fill = (2 * TokenBucket::kMaxBurst * kSecond) / TokenBucket::kMaxRate;
  EXPECT_LT(m.Available(fill - 1000), TokenBucket::kMaxBurst);
  EXPECT_EQ(m.Available(fill + 2), TokenBucket::kMaxBurst);
  // A tiny rate, a century idle.
  auto s = *TokenBucket::Create(1, 10, 0);
  EXPECT_TRUE(s.TryConsume(10, 0));
  EXPECT_EQ(s.Available(100ull * 365 * 24 * 3600 * kSecond), 10u);
}

TEST(TokenBucket, ClockGoingBackGrantsNothing) {
  auto b = *TokenBucket::Create(1000, 1000, 10 * kSecond);
  EXPECT_TRUE(b.TryConsume(1000, 10 * kSecond));
  EXPECT_FALSE(b.TryConsume(1, 5 * kSecond));
  EXPECT_EQ(b.Available(10 * kSecond + kSecond / 2), 500u);
}

TEST(TokenBucket, DebtIsPaidBackFirst) {
  auto b = *TokenBucket::Create(1000, 1000, 0);
  b.ForceConsume(3000, 0);  // two more copies of an accepted message
  EXPECT_EQ(b.Available(kSecond), 0u);
  EXPECT_FALSE(b.TryConsume(1, kSecond));
  EXPECT_EQ(b.Available(3 * kSecond), 1000u);
}

TEST(TokenBucket, NanosUntil) {
  auto b = *TokenBucket::Create(1000, 1000, 0);
  EXPECT_EQ(b.NanosUntil(1000, 0), 0u);
  ASSERT_TRUE(b.TryConsume(1000, 0));
  EXPECT_EQ(b.NanosUntil(1, 0), kSecond / 1000);
  EXPECT_EQ(b.NanosUntil(500, 0), kSecond / 2);
  EXPECT_FALSE(b.TryConsume(500, kSecond / 2 - 1));
  EXPECT_TRUE(b.TryConsume(500, kSecond / 2));
  EXPECT_EQ(b.NanosUntil(1001, 0), std::numeric_limits<uint64_t>::max());
  auto z = *TokenBucket::Create(0, 10, 0);
  EXPECT_TRUE(z.TryConsume(10, 0));
  EXPECT_EQ(z.NanosUntil(1, kSecond), std::numeric_limits<uint64_t>::max());
}

}  // namespace
}  // namespace dmpd::pipe
