// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/neighbour_table.h"

#include <gtest/gtest.h>

namespace dmpd {
namespace {

const MacAddress kMac{0x02, 0, 0, 0, 0, 0x0a};

TEST(NeighbourTable, RecordsPerLocalPortAndCountsHellos) {
  NeighbourTable t(2, 100);
  t.RecordHello(0, 2, 1, kMac, 10, 1000);
  t.RecordHello(0, 2, 1, kMac, 11, 2000);
  t.RecordHello(0, 2, 0, kMac, 4, 2000);
  t.RecordHello(1, 3, 0, kMac, 1, 2000);
  t.RecordHello(7, 3, 0, kMac, 1, 2000);  // no such local port: ignored
  auto p0 = t.On(0);
  ASSERT_EQ(p0.size(), 2u);
  EXPECT_EQ(p0[0].port, 0);  // ordered by (node, port)
  EXPECT_EQ(p0[1].hellos, 2u);
  EXPECT_EQ(p0[1].last_sequence, 11u);
  EXPECT_EQ(p0[1].last_seen_ns, 2000u);
  EXPECT_EQ(t.On(1).size(), 1u);
  EXPECT_TRUE(t.On(7).empty());
}

TEST(NeighbourTable, ExpiresTheSilent) {
  NeighbourTable t(1, 100);
  t.RecordHello(0, 2, 0, kMac, 1, 1000);
  t.RecordHello(0, 3, 0, kMac, 1, 5000);
  EXPECT_EQ(t.Expire(6000, 2000), 1u);
  EXPECT_EQ(t.size(), 1u);
  auto n = t.On(0);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].node, 3);
}

TEST(NeighbourTable, RefusesNewPairsWhenFullButRefreshesKnownOnes) {
  NeighbourTable t(2, 2);
  EXPECT_EQ(t.RecordHello(0, 2, 0, kMac, 1, 10), NeighbourTable::Recorded::kNew);
  EXPECT_EQ(t.RecordHello(1, 2, 0, kMac, 1, 10), NeighbourTable::Recorded::kNew);
  EXPECT_EQ(t.RecordHello(0, 3, 0, kMac, 1, 10), NeighbourTable::Recorded::kRefused);
  EXPECT_EQ(t.RecordHello(0, 2, 0, kMac, 2, 20), NeighbourTable::Recorded::kUpdated);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Expire(1000, 100), 2u);
  EXPECT_EQ(t.RecordHello(0, 3, 0, kMac, 1, 1000), NeighbourTable::Recorded::kNew);
  EXPECT_EQ(t.On(0, 0).size(), 0u);
  EXPECT_EQ(t.CountOn(0), 1u);
}

TEST(NeighbourTable, FormatsMac) { EXPECT_EQ(FormatMac(kMac), "02:00:00:00:00:0a"); }

}  // namespace
}  // namespace dmpd
