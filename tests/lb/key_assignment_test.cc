// SPDX-License-Identifier: BSD-3-Clause
// Stickiness and hysteresis (LB-6), period by period.
#include "userspace/lb/key_assignment.h"

#include <gtest/gtest.h>

#include <vector>

#include "userspace/lb/port_picker.h"

namespace dmpd::lb {
namespace {

PortTable Table(const std::vector<double>& loads, const std::vector<bool>& up = {}) {
  std::vector<PortInput> in;
  for (size_t i = 0; i < loads.size(); ++i) {
    in.push_back(PortInput{static_cast<uint16_t>(i), {}, up.empty() || up[i], loads[i], 0});
  }
  absl::StatusOr<PortTable> t = PortTable::Build(in, BalanceCriterionConfig{}, 0.0);
  EXPECT_TRUE(t.ok());
  return *t;
}

constexpr uint32_t kHash = 0;  // hash → port 0 of any table

// One period against `t`'s measured loads, for a key whose traffic is not known.
HoldOutcome Reassess(const PortTable& t, uint32_t hash, uint32_t period, const HysteresisConfig& h,
                     PortHold* hold) {
  LoadLedger ledger;
  ledger.Reset(t);
  return ReassessPort(t, ledger, hash, period, h, 0, &PickSendPort, hold);
}

TEST(ReassessPort, NewKeyTakesThePickedPort) {
  PortHold h;
  EXPECT_EQ(Reassess(Table({0.2, 0.2}), kHash, 5, {}, &h),
            HoldOutcome::kAssigned);
  EXPECT_EQ(h.port, 0);
  EXPECT_EQ(h.moved_period, 5u);
  EXPECT_EQ(h.hold_periods, HysteresisConfig{}.first_hold_periods);
}

// A new key's port was picked before its traffic was known: once a period has measured it,
// an overload moves it; after that move it holds the usual minimum (or longer).
TEST(ReassessPort, NewKeyMayLeaveAnOverloadedPortThePeriodAfterItsPick) {
  const HysteresisConfig cfg;
  PortHold h;
  ASSERT_EQ(Reassess(Table({0.2, 0.2}), kHash, 5, cfg, &h), HoldOutcome::kAssigned);
  ASSERT_EQ(h.port, 0);
  EXPECT_EQ(Reassess(Table({0.9, 0.1}), kHash, 6, cfg, &h), HoldOutcome::kLeftOverloaded);
  EXPECT_EQ(h.port, 1);
  EXPECT_GE(h.hold_periods, cfg.min_hold_periods);
  EXPECT_EQ(Reassess(Table({0.1, 0.9}), kHash, 7, cfg, &h), HoldOutcome::kKept);
}

TEST(ReassessPort, KeyKeepsItsPortWhileLoadsAreStable) {
  PortHold h{2, 0, 2};  // not the hash's port: stickiness, not re-hashing
  const PortTable t = Table({0.3, 0.35, 0.36, 0.3});  // none above 1.1 × mean (0.36025)
  for (uint32_t period = 1; period <= 50; ++period) {
    ASSERT_EQ(Reassess(t, kHash, period, {}, &h), HoldOutcome::kKept);
    ASSERT_EQ(h.port, 2);
  }
}

TEST(ReassessPort, UnavailablePortIsLeftAtOnceWhateverTheHold) {
  PortHold h{0, 10, 32};
  EXPECT_EQ(Reassess(Table({0.1, 0.5}, {false, true}), kHash, 11, {}, &h),
            HoldOutcome::kLeftUnavailable);
  EXPECT_EQ(h.port, 1);
  // All down: none, and the next period with a port back gives one.
  EXPECT_EQ(Reassess(Table({0.1, 0.5}, {false, false}), kHash, 12, {}, &h),
            HoldOutcome::kLeftUnavailable);
  EXPECT_EQ(h.port, kNoPort);
  EXPECT_EQ(Reassess(Table({0.1, 0.5}), kHash, 13, {}, &h),
            HoldOutcome::kAssigned);
  EXPECT_EQ(h.port, 0);
}

TEST(ReassessPort, PortIndexBeyondAShrunkTableCountsAsGone) {
  PortHold h{3, 0, 2};
  EXPECT_EQ(Reassess(Table({0.1, 0.2}), kHash, 1, {}, &h),
            HoldOutcome::kLeftUnavailable);
  EXPECT_EQ(h.port, 0);
}

TEST(ReassessPort, OverloadMovesOnlyAfterTheHoldAndWithEnoughGain) {
  const PortTable hot0 = Table({0.9, 0.1});
  PortHold h{0, 0, 2};
  EXPECT_EQ(Reassess(hot0, kHash, 1, {}, &h), HoldOutcome::kKept);
  EXPECT_EQ(Reassess(hot0, kHash, 2, {}, &h), HoldOutcome::kLeftOverloaded);
  EXPECT_EQ(h.port, 1);

  // Overloaded by the criterion, but the lighter port is not lighter by min_gain.
  HysteresisConfig picky;
  picky.min_gain = 0.5;
  PortHold g{0, 0, 2};
  EXPECT_EQ(Reassess(Table({0.6, 0.2, 0.2}), kHash, 10, picky, &g),
            HoldOutcome::kKept);
}

// Loads alternate every period, whatever the key does: port 0 hot in odd periods, port 1
// in even ones. Without hysteresis the key would move every period or two.
TEST(ReassessPort, NoPingPongUnderAlternatingLoads) {
  const PortTable hot0 = Table({0.9, 0.1});
  const PortTable hot1 = Table({0.1, 0.9});
  PortHold h{0, 0, HysteresisConfig{}.min_hold_periods};
  std::vector<uint32_t> moves;
  for (uint32_t period = 1; period <= 200; ++period) {
    const PortTable& t = period % 2 ? hot0 : hot1;
    if (Reassess(t, kHash, period, {}, &h) != HoldOutcome::kKept) {
      moves.push_back(period);
    }
  }
  ASSERT_FALSE(moves.empty());
  for (size_t i = 1; i < moves.size(); ++i) EXPECT_GE(moves[i] - moves[i - 1], 3u);
  // Holds 2, 4, 8, 16, 32, 32, …: a handful of moves in 200 periods, not 100.
  EXPECT_LE(moves.size(), 9u);
}

// The harder case: the key itself is the load, so wherever it goes becomes hot one period
// later (the measurement lags a period).
TEST(ReassessPort, HeavyKeyChasingItsOwnLoadBacksOff) {
  PortHold h{0, 0, HysteresisConfig{}.min_hold_periods};
  int moves = 0;
  for (uint32_t period = 1; period <= 200; ++period) {
    // This period's loads: the key's port during the last one is the hot one.
    const PortTable t = h.port == 0 ? Table({0.9, 0.1}) : Table({0.1, 0.9});
    if (Reassess(t, kHash, period, {}, &h) != HoldOutcome::kKept) ++moves;
  }
  EXPECT_LE(moves, 9);
}

TEST(ReassessPort, ACalmKeyStartsAgainFromTheMinimumHold) {
  const HysteresisConfig cfg;
  PortHold h{0, 0, 16};
  // Held 40 periods ≥ 2 × 16: this move is not part of a ping-pong.
  EXPECT_EQ(Reassess(Table({0.9, 0.1}), kHash, 40, cfg, &h),
            HoldOutcome::kLeftOverloaded);
  EXPECT_EQ(h.hold_periods, cfg.min_hold_periods);
}

TEST(HysteresisConfig, Validation) {
  EXPECT_TRUE(ValidateHysteresis({}).ok());
  EXPECT_FALSE(ValidateHysteresis({.min_hold_periods = 0}).ok());
  EXPECT_FALSE(ValidateHysteresis({.min_hold_periods = 4, .max_hold_periods = 2}).ok());
  EXPECT_FALSE(ValidateHysteresis({.first_hold_periods = 0}).ok());
}

}  // namespace
}  // namespace dmpd::lb
