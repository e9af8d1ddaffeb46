// SPDX-License-Identifier: BSD-3-Clause
// The period's loads as moves change them (the paper's heap adjustment).
#include "userspace/lb/load_ledger.h"

#include <gtest/gtest.h>

#include <vector>

namespace dmpd::lb {
namespace {

PortTable Table(const std::vector<double>& loads, double bandwidth_bps,
                const std::vector<bool>& up = {}) {
  std::vector<PortInput> in;
  for (size_t i = 0; i < loads.size(); ++i) {
    PortInput& p = in.emplace_back();
    p.port_id = static_cast<uint16_t>(i);
    p.available = up.empty() || up[i];
    p.load = loads[i];
    p.bandwidth_bps = bandwidth_bps;
  }
  absl::StatusOr<PortTable> t = PortTable::Build(in, BalanceCriterionConfig{}, 0.01);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(LoadLedger, StartsFromTheMeasuredLoads) {
  const PortTable t = Table({0.5, 0.1, 0.3}, 100e6);
  LoadLedger l;
  l.Reset(t);
  EXPECT_DOUBLE_EQ(l.load(0), 0.5);
  EXPECT_DOUBLE_EQ(l.load(2), 0.3);
  // mean 0.3: the gap limit is max(0.3 · 1.1, 0.3 + 0.02) = 0.33.
  EXPECT_TRUE(l.Overloaded(t, 0));
  EXPECT_FALSE(l.Overloaded(t, 2));
  EXPECT_EQ(l.LeastLoadedSpread(t, 12345), 1);
}

TEST(LoadLedger, AMoveTakesTheKeysShareFromOnePortToTheOther) {
  const PortTable t = Table({0.5, 0.1, 0.3}, 100e6);
  LoadLedger l(0.84);
  l.Reset(t);
  // 10 Mbit/s on a 100 Mbit/s port: utilisation 0.1, load 0.84 · 0.1 (eq. 5).
  EXPECT_NEAR(l.KeyLoad(t, 0, 10e6), 0.084, 1e-12);
  l.Move(t, 0, 1, 10e6);
  EXPECT_NEAR(l.load(0), 0.416, 1e-12);
  EXPECT_NEAR(l.load(1), 0.184, 1e-12);
  // Port 1 is no longer the lightest: the next pick sees the move.
  EXPECT_EQ(l.LeastLoadedSpread(t, 0), 1);  // 0.184 < 0.3
  l.Move(t, 0, 1, 20e6);
  EXPECT_NEAR(l.load(1), 0.352, 1e-12);
  EXPECT_EQ(l.LeastLoadedSpread(t, 0), 0);  // 0.248 < 0.3 < 0.352
  EXPECT_FALSE(l.Overloaded(t, 0));         // 0.248 ≤ 0.35 now
}

TEST(LoadLedger, UnknownBandwidthMovesNothingAndLoadsStayAtOrAboveZero) {
  const PortTable t = Table({0.5, 0.1}, 0);
  LoadLedger l;
  l.Reset(t);
  l.Move(t, 0, 1, 1e9);
  EXPECT_DOUBLE_EQ(l.load(0), 0.5);
  EXPECT_DOUBLE_EQ(l.load(1), 0.1);
  const PortTable fast = Table({0.05, 0.1}, 1e6);
  l.Reset(fast);
  l.Move(fast, 0, kNoPort, 1e6);  // more than the port had: not negative
  EXPECT_DOUBLE_EQ(l.load(0), 0.0);
}

TEST(LoadLedger, NeverPicksADownPort) {
  const PortTable t = Table({0.5, 0.0, 0.3}, 100e6, {true, false, true});
  LoadLedger l;
  l.Reset(t);
  for (uint32_t h = 0; h < 32; ++h) EXPECT_EQ(l.LeastLoadedSpread(t, h), 2);
  const PortTable none = Table({0.5, 0.0}, 100e6, {false, false});
  l.Reset(none);
  EXPECT_EQ(l.LeastLoadedSpread(none, 3), kNoPort);
}

// The limit follows the adjusted loads: a key leaving a slow port for a fast one takes
// more load off the one than it puts on the other, and the mean falls with it.
TEST(LoadLedger, MovesFromASlowPortToFastOnesLowerTheLimit) {
  std::vector<PortInput> in(4);
  for (uint16_t i = 0; i < 4; ++i) {
    in[i].port_id = i;
    in[i].available = true;
    in[i].bandwidth_bps = i == 0 ? 10e6 : 10e9;  // port 0 capped at 10 Mbit/s
  }
  in[0].load = 4 * 0.84 * 0.8;  // four keys of 8 Mbit/s: 2.688
  const PortTable t = *PortTable::Build(in, BalanceCriterionConfig{}, 0.01);
  LoadLedger l(0.84);
  l.Reset(t);
  int moved = 0;
  while (l.Overloaded(t, 0) && moved < 10) {
    l.Move(t, 0, l.LeastLoadedSpread(t, static_cast<uint32_t>(moved)), 8e6);
    ++moved;
  }
  // With the snapshot's limit (mean 0.672: 0.76) the fourth key would have stayed at 0.672.
  EXPECT_EQ(moved, 4);
  EXPECT_NEAR(l.load(0), 0.0, 1e-9);
}

TEST(LoadLedger, ResetStartsThePeriodOver) {
  const PortTable t = Table({0.5, 0.1}, 100e6);
  LoadLedger l;
  l.Reset(t);
  l.Move(t, 0, 1, 50e6);
  l.Reset(t);
  EXPECT_DOUBLE_EQ(l.load(0), 0.5);
  EXPECT_DOUBLE_EQ(l.load(1), 0.1);
}

// Measured loads take a move in late: the next periods still see part of it, less each
// period, whatever the snapshot says.
TEST(LoadLedger, CarriesWhatTheMeasurementHasNotTakenInYet) {
  const PortTable t = Table({0.5, 0.1}, 100e6);
  LoadLedger l(1.0, 0.5);
  l.Reset(t);
  l.Move(t, 0, 1, 20e6);  // 0.2 of a link
  l.Reset(t);             // the measurement has not seen it yet
  EXPECT_NEAR(l.load(0), 0.4, 1e-12);
  EXPECT_NEAR(l.load(1), 0.2, 1e-12);
  EXPECT_EQ(l.LeastLoadedSpread(t, 0), 1);
  l.Reset(t, 2);  // two periods on: a quarter of what was carried
  EXPECT_NEAR(l.load(0), 0.5 - 0.1 / 4, 1e-12);
  EXPECT_NEAR(l.load(1), 0.1 + 0.1 / 4, 1e-12);
  for (int i = 0; i < 40; ++i) l.Reset(t);
  EXPECT_DOUBLE_EQ(l.load(0), 0.5);  // taken in: the snapshot's loads again
  EXPECT_DOUBLE_EQ(l.load(1), 0.1);
}

}  // namespace
}  // namespace dmpd::lb
