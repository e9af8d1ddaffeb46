// SPDX-License-Identifier: BSD-3-Clause
// PIPE-3: short of resources, the lowest priority gives first, halved each step down to a
// floor, and the highest sending level never; with room again the allowances grow back,
// highest priority first, and are lifted; between the watermarks nothing moves.
#include "userspace/pipe/feedback_controller.h"

#include <gtest/gtest.h>

namespace dmpd::pipe {
namespace {

constexpr NodePressure kShort{.buffers = 0.95, .ring_memory = 0.1, .worker_busy = 0.2};
constexpr NodePressure kRoom{.buffers = 0.2, .ring_memory = 0.1, .worker_busy = 0.2};
constexpr NodePressure kBetween{.buffers = 0.7, .ring_memory = 0.1, .worker_busy = 0.2};

std::vector<PipeLoad> Pipes(double low_rate, double mid_rate, double high_rate) {
  return {{.slot = 0, .priority = 0, .configured_bytes_per_s = 0, .sent_bytes_per_s = low_rate},
          {.slot = 1, .priority = 3, .configured_bytes_per_s = 0, .sent_bytes_per_s = mid_rate},
          {.slot = 2, .priority = 7, .configured_bytes_per_s = 0, .sent_bytes_per_s = high_rate}};
}

TEST(FeedbackController, ShortOfResourcesTheLowestPriorityGivesFirst) {
  FeedbackController f;
  auto changed = f.Step(kShort, Pipes(8e6, 8e6, 8e6));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].slot, 0u);
  EXPECT_EQ(*changed[0].bytes_per_s, 4'000'000u);
  EXPECT_TRUE(f.short_of_resources());
  EXPECT_FALSE(f.allowance(1).has_value());
  EXPECT_FALSE(f.allowance(2).has_value());
  // Still short: halved again, until the floor; then the next level gives.
  double low = 4e6;
  for (int step = 0; step < 20 && f.allowance(1) == std::nullopt; ++step) {
    f.Step(kShort, Pipes(low, 8e6, 8e6));
    low = static_cast<double>(f.allowance(0).value_or(0));
  }
  EXPECT_EQ(*f.allowance(0), 64u * 1024);
  ASSERT_TRUE(f.allowance(1).has_value());
  EXPECT_EQ(*f.allowance(1), 4'000'000u);
  // The highest level that sends is never cut.
  for (int step = 0; step < 40; ++step) {
    f.Step(kShort, Pipes(64 * 1024, static_cast<double>(*f.allowance(1)), 8e6));
  }
  EXPECT_FALSE(f.allowance(2).has_value());
}

TEST(FeedbackController, OnePriorityLevelAloneIsNeverCut) {
  FeedbackController f;
  const std::vector<PipeLoad> same = {
      {.slot = 0, .priority = 2, .configured_bytes_per_s = 0, .sent_bytes_per_s = 5e6},
      {.slot = 1, .priority = 2, .configured_bytes_per_s = 0, .sent_bytes_per_s = 5e6}};
  EXPECT_TRUE(f.Step(kShort, same).empty());
}

TEST(FeedbackController, WithRoomAgainTheHighestHeldBackGrowsFirstThenAllAreLifted) {
  FeedbackController f;
  for (int step = 0; step < 12; ++step) f.Step(kShort, Pipes(8e6, 8e6, 8e6));
  ASSERT_TRUE(f.allowance(0).has_value());
  ASSERT_TRUE(f.allowance(1).has_value());
  const uint64_t low_before = *f.allowance(0);
  const uint64_t mid_before = *f.allowance(1);
  // Each pipe sends all it is allowed.
  auto sending = [&] {
    return Pipes(static_cast<double>(f.allowance(0).value_or(8e6)),
                 static_cast<double>(f.allowance(1).value_or(8e6)), 8e6);
  };
  auto changed = f.Step(kRoom, sending());
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].slot, 1u);  // priority 3 before priority 0
  EXPECT_GT(*f.allowance(1), mid_before);
  EXPECT_EQ(*f.allowance(0), low_before);
  EXPECT_FALSE(f.short_of_resources());
  // Once a pipe leaves part of its allowance unused, nothing holds it back: lifted.
  f.Step(kRoom, Pipes(static_cast<double>(*f.allowance(0)), 1e5, 8e6));
  EXPECT_FALSE(f.allowance(1).has_value());
  for (int step = 0; step < 200 && f.allowance(0).has_value(); ++step) f.Step(kRoom, sending());
  EXPECT_FALSE(f.allowance(0).has_value());
}

TEST(FeedbackController, ARateThresholdIsTheCeilingOfTheRecovery) {
  FeedbackController f;
  std::vector<PipeLoad> p = {
      {.slot = 0, .priority = 0, .configured_bytes_per_s = 1'000'000, .sent_bytes_per_s = 1e6},
      {.slot = 1, .priority = 5, .configured_bytes_per_s = 0, .sent_bytes_per_s = 5e6}};
  f.Step(kShort, p);
  ASSERT_EQ(*f.allowance(0), 500'000u);
  p[0].sent_bytes_per_s = 5e5;
  for (int step = 0; step < 10 && f.allowance(0).has_value(); ++step) {
    f.Step(kRoom, p);
    p[0].sent_bytes_per_s = static_cast<double>(f.allowance(0).value_or(1'000'000));
  }
  EXPECT_FALSE(f.allowance(0).has_value());  // back to its own 1 MB/s threshold
}

TEST(FeedbackController, BetweenTheWatermarksNothingMoves) {
  FeedbackController f;
  f.Step(kShort, Pipes(8e6, 8e6, 8e6));
  const auto before = f.allowance(0);
  EXPECT_TRUE(f.Step(kBetween, Pipes(4e6, 8e6, 8e6)).empty());
  EXPECT_EQ(f.allowance(0), before);
  EXPECT_TRUE(f.short_of_resources());  // still the last verdict
}

TEST(FeedbackController, APipeThatWentAwayIsForgotten) {
  FeedbackController f;
  f.Step(kShort, Pipes(8e6, 8e6, 8e6));
  ASSERT_TRUE(f.allowance(0).has_value());
  f.Step(kBetween, std::vector<PipeLoad>{Pipes(1, 8e6, 8e6)[1], Pipes(1, 8e6, 8e6)[2]});
  EXPECT_FALSE(f.allowance(0).has_value());
}

}  // namespace
}  // namespace dmpd::pipe
