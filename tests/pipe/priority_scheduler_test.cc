// SPDX-License-Identifier: BSD-3-Clause
// PriorityScheduler: strict priority, round robin within a priority, the starvation
// guard's bound (by picks and by time), and the table's setup errors.
#include "userspace/pipe/priority_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace dmpd::pipe {
namespace {

PriorityScheduler NoGuard(uint32_t capacity = 16) {
  return *PriorityScheduler::Create({.capacity = capacity, .max_wait_picks = 0, .max_wait_ns = 0});
}

TEST(PriorityScheduler, EmptyPicksNone) {
  auto s = NoGuard();
  EXPECT_EQ(s.Pick(0), PriorityScheduler::kNone);
  ASSERT_TRUE(s.Add(3, 2).ok());
  EXPECT_EQ(s.Pick(0), PriorityScheduler::kNone) << "added but not ready";
}

TEST(PriorityScheduler, StrictPriorityHigherFirst) {
  auto s = NoGuard();
  ASSERT_TRUE(s.Add(0, 1).ok());
  ASSERT_TRUE(s.Add(1, 7).ok());
  ASSERT_TRUE(s.Add(2, 3).ok());
  for (uint32_t i : {0u, 1u, 2u}) s.MarkReady(i, 0);
  EXPECT_EQ(s.Pick(0), 1u);
  EXPECT_EQ(s.Pick(0), 2u);
  EXPECT_EQ(s.Pick(0), 0u);
  EXPECT_EQ(s.Pick(0), PriorityScheduler::kNone);
  // Without the guard, a busy high pipe holds the worker.
  for (uint32_t i : {0u, 1u, 2u}) s.MarkReady(i, 0);
  for (int k = 0; k < 1000; ++k) {
    ASSERT_EQ(s.Pick(0), 1u);
    s.MarkReady(1, 0);
  }
  EXPECT_TRUE(s.ready(0));
  EXPECT_TRUE(s.ready(2));
}

TEST(PriorityScheduler, RoundRobinWithinAPriority) {
  auto s = NoGuard();
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(s.Add(i, 4).ok());
  ASSERT_TRUE(s.Add(9, 2).ok());
  for (uint32_t i : {2u, 0u, 1u, 9u}) s.MarkReady(i, 0);
  std::vector<uint32_t> order;
  for (int k = 0; k < 9; ++k) {
    const uint32_t p = s.Pick(0);
    order.push_back(p);
    s.MarkReady(p, 0);
    s.MarkReady(p, 0);  // idempotent
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{2, 0, 1, 2, 0, 1, 2, 0, 1}));
}

// A pipe that found no room goes back ahead of the others of its priority (not ahead of a
// higher one): when room frees up, it is first, and the pipe that took the last room waits.
TEST(PriorityScheduler, APipePutBackIsFirstOfItsPriorityNextTime) {
  auto s = NoGuard();
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(s.Add(i, 4).ok());
  ASSERT_TRUE(s.Add(5, 6).ok());
  for (uint32_t i : {0u, 1u, 2u}) s.MarkReady(i, 0);
  EXPECT_EQ(s.Pick(0), 0u);  // took the room
  EXPECT_EQ(s.Pick(0), 1u);  // found none
  s.PutBack(1, 0);
  s.PutBack(1, 0);  // idempotent
  s.MarkReady(0, 0);
  s.MarkReady(5, 0);
  EXPECT_EQ(s.Pick(0), 5u) << "a higher priority still goes first";
  EXPECT_EQ(s.Pick(0), 1u);
  EXPECT_EQ(s.Pick(0), 2u);
  EXPECT_EQ(s.Pick(0), 0u);
  s.PutBack(7, 0);  // not added: ignored
  EXPECT_EQ(s.Pick(0), PriorityScheduler::kNone);
}

// Every pipe always has work; each records the longest run of picks between becoming
// ready and being picked. The documented bound: max_wait_picks + number of ready pipes.
TEST(PriorityScheduler, GuardBoundsTheWaitInPicks) {
  constexpr uint32_t kPipes = 40, kMaxWait = 16;
  auto s = *PriorityScheduler::Create(
      {.capacity = kPipes, .max_wait_picks = kMaxWait, .max_wait_ns = 0});
  std::mt19937 g(3);
  std::vector<uint64_t> ready_at(kPipes, 0), worst(kPipes, 0), picked(kPipes, 0);
  for (uint32_t i = 0; i < kPipes; ++i) {
    ASSERT_TRUE(s.Add(i, g() % PriorityScheduler::kLevels).ok());
    s.MarkReady(i, 0);
  }
  constexpr uint64_t kPicks = 200000;
  for (uint64_t n = 0; n < kPicks; ++n) {
    const uint32_t p = s.Pick(0);
    ASSERT_NE(p, PriorityScheduler::kNone);
    worst[p] = std::max(worst[p], n - ready_at[p]);
    ++picked[p];
    ready_at[p] = n + 1;
    s.MarkReady(p, 0);
  }
  for (uint32_t i = 0; i < kPipes; ++i) {
    EXPECT_LE(worst[i], kMaxWait + kPipes) << "pipe " << i;
    EXPECT_GE(picked[i], kPicks / (kMaxWait + kPipes + 1)) << "pipe " << i;
  }
  EXPECT_GT(s.guard_picks(), 0u);
}

TEST(PriorityScheduler, GuardGivesALowPipeOneTurnInNPlusOne) {
  constexpr uint32_t kMaxWait = 8;
  auto s =
      *PriorityScheduler::Create({.capacity = 4, .max_wait_picks = kMaxWait, .max_wait_ns = 0});
  ASSERT_TRUE(s.Add(0, 7).ok());
  ASSERT_TRUE(s.Add(1, 0).ok());
  s.MarkReady(0, 0);
  s.MarkReady(1, 0);
  std::map<uint32_t, int> count;
  for (int n = 0; n < 9000; ++n) {
    const uint32_t p = s.Pick(0);
    ++count[p];
    s.MarkReady(p, 0);
  }
  EXPECT_EQ(count[1], 9000 / (kMaxWait + 1));
  EXPECT_EQ(count[0], 9000 - 9000 / (kMaxWait + 1));
}

TEST(PriorityScheduler, GuardByTime) {
  auto s = *PriorityScheduler::Create({.capacity = 4, .max_wait_picks = 0, .max_wait_ns = 1000});
  ASSERT_TRUE(s.Add(0, 6).ok());
  ASSERT_TRUE(s.Add(1, 1).ok());
  s.MarkReady(0, 0);
  s.MarkReady(1, 0);
  uint64_t now = 0, last_low = 0, worst = 0;
  for (int n = 0; n < 10000; ++n) {
    now += 100;  // each drain takes 100 ns
    const uint32_t p = s.Pick(now);
    if (p == 1) {
      worst = std::max(worst, now - last_low);
      last_low = now;
    }
    s.MarkReady(p, now);
  }
  EXPECT_LE(worst, 1000u + 2 * 100u);  // max_wait_ns plus the drains of the ready pipes
  EXPECT_GT(s.guard_picks(), 0u);
}

TEST(PriorityScheduler, RemoveSetPriorityAndIdle) {
  auto s = NoGuard();
  ASSERT_TRUE(s.Add(0, 5).ok());
  ASSERT_TRUE(s.Add(1, 3).ok());
  ASSERT_TRUE(s.Add(2, 1).ok());
  for (uint32_t i : {0u, 1u, 2u}) s.MarkReady(i, 0);
  ASSERT_TRUE(s.Remove(0).ok());
  ASSERT_TRUE(s.SetPriority(2, 7).ok());  // raise its priority while it waits
  EXPECT_EQ(s.Pick(0), 2u);
  s.MarkIdle(1);
  EXPECT_EQ(s.Pick(0), PriorityScheduler::kNone);
  s.MarkReady(0, 0);  // removed: ignored
  EXPECT_EQ(s.Pick(0), PriorityScheduler::kNone);

  EXPECT_FALSE(s.Add(1, 2).ok()) << "already there";
  EXPECT_FALSE(s.Add(16, 2).ok()) << "beyond capacity";
  EXPECT_FALSE(s.Add(5, PriorityScheduler::kLevels).ok()) << "no such priority";
  EXPECT_FALSE(s.Remove(0).ok()) << "already removed";
  EXPECT_FALSE(s.SetPriority(0, 1).ok());
  EXPECT_FALSE(s.SetPriority(1, 99).ok());
  ASSERT_TRUE(s.Add(0, 2).ok()) << "a removed slot can be reused";
  EXPECT_FALSE(PriorityScheduler::Create({.capacity = 0}).ok());
}

}  // namespace
}  // namespace dmpd::pipe
