// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/timer_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace dmpd {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(TimerQueue, RunsOneShotsInDueOrderOnlyWhenDue) {
  ManualClock clock;
  TimerQueue q(clock);
  std::vector<int> ran;
  q.After(20 * kMs, [&] { ran.push_back(2); });
  q.After(10 * kMs, [&] { ran.push_back(1); });
  EXPECT_EQ(q.NextDueNs(), clock.MonotonicNs() + 10 * kMs);
  clock.Advance(9 * kMs);
  q.RunDue();
  EXPECT_TRUE(ran.empty());
  clock.Advance(20 * kMs);
  q.RunDue();
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.NextDueNs().has_value());
}

TEST(TimerQueue, PeriodicSkipsMissedRunsInsteadOfBursting) {
  ManualClock clock;
  TimerQueue q(clock);
  int runs = 0;
  q.Every(10 * kMs, 0, [&] { ++runs; });
  q.RunDue();
  EXPECT_EQ(runs, 1);
  clock.Advance(55 * kMs);  // five periods late
  q.RunDue();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(q.NextDueNs(), clock.MonotonicNs() + 10 * kMs);
}

TEST(TimerQueue, CancelFromInsideACallback) {
  ManualClock clock;
  TimerQueue q(clock);
  int runs = 0;
  TimerQueue::TimerId other = q.After(5 * kMs, [&] { runs += 100; });
  TimerQueue::TimerId self = 0;
  self = q.Every(1 * kMs, 1 * kMs, [&] {
    ++runs;
    q.Cancel(self);
    q.Cancel(other);
  });
  clock.Advance(10 * kMs);
  q.RunDue();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, SetPeriodTakesEffectFromTheNextRun) {
  ManualClock clock;
  TimerQueue q(clock);
  int runs = 0;
  TimerQueue::TimerId id = q.Every(10 * kMs, 10 * kMs, [&] { ++runs; });
  q.SetPeriod(id, 50 * kMs);
  clock.Advance(10 * kMs);
  q.RunDue();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(q.NextDueNs(), clock.MonotonicNs() + 50 * kMs);
}

}  // namespace
}  // namespace dmpd
