// SPDX-License-Identifier: BSD-3-Clause
// The schedulers: shares as their weights say, nothing to an unhealthy or drained backend.
#include "userspace/vs/scheduler.h"

#include <gtest/gtest.h>

#include <vector>

namespace dmpd::vs {
namespace {

std::vector<uint32_t> Count(Scheduler& s, std::vector<BackendLoad> b, int picks) {
  std::vector<uint32_t> n(b.size(), 0);
  for (int i = 0; i < picks; ++i) {
    std::optional<uint32_t> p = s.Pick(b);
    if (!p) break;
    ++n[*p];
  }
  return n;
}

TEST(Scheduler, RoundRobinTakesEachHealthyBackendInTurn) {
  RoundRobinScheduler s;
  std::vector<BackendLoad> b(3);
  EXPECT_EQ(Count(s, b, 300), (std::vector<uint32_t>{100, 100, 100}));
  b[1].healthy = false;
  EXPECT_EQ(Count(s, b, 300), (std::vector<uint32_t>{150, 0, 150}));
  b[0].weight = 0;  // drained
  EXPECT_EQ(Count(s, b, 10), (std::vector<uint32_t>{0, 0, 10}));
  b[2].healthy = false;
  EXPECT_FALSE(s.Pick(b).has_value());
}

TEST(Scheduler, WeightedRoundRobinGivesExactSharesInterleaved) {
  WeightedRoundRobinScheduler s;
  std::vector<BackendLoad> b{{5, 0, true}, {1, 0, true}, {1, 0, true}};
  std::vector<uint32_t> order;
  for (int i = 0; i < 7; ++i) order.push_back(*s.Pick(b));
  // nginx's smooth WRR for 5:1:1: a a b a c a a — the heavy one is not taken 5 in a row.
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 0, 1, 0, 2, 0, 0}));
  EXPECT_EQ(Count(s, b, 700), (std::vector<uint32_t>{500, 100, 100}));
  b[0].healthy = false;
  EXPECT_EQ(Count(s, b, 100), (std::vector<uint32_t>{0, 50, 50}));
}

TEST(Scheduler, LeastConnectionsPerWeight) {
  LeastConnectionsScheduler s;
  std::vector<BackendLoad> b{{1, 10, true}, {1, 3, true}, {2, 5, true}};
  EXPECT_EQ(s.Pick(b), 2u);  // 5/2 < 3/1 < 10/1
  b[2].connections = 7;
  EXPECT_EQ(s.Pick(b), 1u);  // 3/1 < 7/2
  b[1].healthy = false;
  EXPECT_EQ(s.Pick(b), 2u);
  b[0].connections = 3;      // 3/1 < 7/2
  EXPECT_EQ(s.Pick(b), 0u);
  // Opening connections as it picks spreads them evenly.
  std::vector<BackendLoad> even(3);
  for (int i = 0; i < 300; ++i) ++even[*s.Pick(even)].connections;
  for (const auto& x : even) EXPECT_EQ(x.connections, 100u);
}

TEST(Scheduler, ByName) {
  EXPECT_TRUE(CreateScheduler("rr").ok());
  EXPECT_TRUE(CreateScheduler("wrr").ok());
  EXPECT_TRUE(CreateScheduler("lc").ok());
  EXPECT_FALSE(CreateScheduler("sh").ok());
}

}  // namespace
}  // namespace dmpd::vs
