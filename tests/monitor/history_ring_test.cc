// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/history_ring.h"

#include <gtest/gtest.h>

namespace dmpd::monitor {
namespace {

TEST(HistoryRing, KeepsTheMostRecentOldestFirst) {
  HistoryRing<int> r(3);
  EXPECT_TRUE(r.empty());
  r.Push(1);
  r.Push(2);
  EXPECT_EQ(r.Snapshot(), (std::vector<int>{1, 2}));
  r.Push(3);
  r.Push(4);
  r.Push(5);
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.Snapshot(), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(r.Snapshot(2), (std::vector<int>{4, 5}));
  EXPECT_EQ(r.Snapshot(0), (std::vector<int>{}));
  EXPECT_EQ(r.Snapshot(10), (std::vector<int>{3, 4, 5}));
}

TEST(HistoryRing, ZeroCapacityKeepsTheLatest) {
  HistoryRing<int> r(0);
  r.Push(1);
  r.Push(2);
  EXPECT_EQ(r.Snapshot(), (std::vector<int>{2}));
}

}  // namespace
}  // namespace dmpd::monitor
