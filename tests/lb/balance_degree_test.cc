// SPDX-License-Identifier: BSD-3-Clause
// Eqs. (7)–(8) with hand-computed values; loads chosen so that the arithmetic is exact in
// binary floating point where a boundary is tested.
#include "userspace/lb/balance_degree.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace dmpd::lb {
namespace {

BalanceCriterionConfig Paper(double mu, double threshold = 1.86) {
  BalanceCriterionConfig c;
  c.criterion = BalanceCriterion::kPaperBalanceDegree;
  c.expected_load_mu = mu;
  c.wl_threshold = threshold;
  return c;
}

std::vector<bool> Overloaded(const std::vector<double>& loads, const BalanceCriterionConfig& c,
                             LoadSummary* sum = nullptr) {
  std::array<bool, 64> out{};
  const LoadSummary s = MarkOverloadedPorts(loads, c, std::span<bool>(out.data(), loads.size()));
  if (sum) *sum = s;
  return std::vector<bool>(out.begin(), out.begin() + loads.size());
}

TEST(MeanLoad, Eq7) {
  EXPECT_DOUBLE_EQ(MeanLoad(std::vector<double>{0.2, 0.4, 0.6}), 0.4);
  EXPECT_EQ(MeanLoad({}), 0.0);
}

TEST(BalanceDegree, Eq8AsATStatistic) {
  // {0.875, 0.375, 0.375, 0.375}: mean 0.5; Σd² = 0.140625 + 3·0.015625 = 0.1875;
  // s = √(0.1875/3) = 0.25; WL = √4 · |0.5 − 0.25| / 0.25 = 2.
  const std::vector<double> loads = {0.875, 0.375, 0.375, 0.375};
  EXPECT_EQ(SampleStdDev(loads), 0.25);
  EXPECT_EQ(BalanceDegree(loads, 0.25), 2.0);
}

TEST(BalanceDegree, OnePortHasNothingToBalance) {
  EXPECT_EQ(SampleStdDev(std::vector<double>{0.9}), 0.0);
  EXPECT_EQ(BalanceDegree(std::vector<double>{0.9}, 0.0), 0.0);
  EXPECT_EQ(Overloaded({0.9}, Paper(0.0)), std::vector<bool>{false});
  EXPECT_EQ(Overloaded({0.9}, BalanceCriterionConfig{}), std::vector<bool>{false});
}

TEST(BalanceDegree, EqualLoadsHaveNoSpreadAndNothingToBalance) {
  // s = 0: the bare formula divides by zero (WL = ∞ for any mean ≠ μ).
  EXPECT_EQ(BalanceDegree(std::vector<double>{0.5, 0.5, 0.5}, 0.0), 0.0);
  EXPECT_EQ(Overloaded({0.5, 0.5, 0.5}, Paper(0.0)), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(BalanceDegree({}, 0.0), 0.0);
}

// An idle cluster: only heartbeats, about 1e-5 of a link on each port. The t statistic
// does not care about scale, so loads of 1e-5 that differ by a few percent of themselves
// gave WL ≈ 36 (`dmpdctl lb`: every load 0.000, WL 36.299, above the threshold 1.86).
// Differences below the resolution of a load are not a spread.
TEST(BalanceDegree, IdlePortsAreBalanced) {
  const std::vector<double> idle = {0.0000112, 0.0000106};  // bare formula: WL ≈ 36.3
  EXPECT_EQ(BalanceDegree(idle, 0.0), 0.0);
  LoadSummary s;
  EXPECT_EQ(Overloaded(idle, Paper(0.0), &s), (std::vector<bool>{false, false}));
  EXPECT_EQ(s.wl, 0.0);
  // Three idle ports and one barely used, all within kLoadResolution of each other.
  EXPECT_EQ(BalanceDegree(std::vector<double>{0.0004, 0.00001, 0.00002, 0.0}, 0.0), 0.0);
  EXPECT_EQ(BalanceDegree(std::vector<double>{0.0, 0.0, 0.0}, 0.0), 0.0);
  // A spread at the resolution is measured again: {0.002, 0} has s ≈ 0.0014, WL = 1.
  EXPECT_NEAR(BalanceDegree(std::vector<double>{0.002, 0.0}, 0.0), 1.0, 1e-12);
}

TEST(BalanceDegree, ThresholdIsExceededOnlyAboveIt) {
  const std::vector<double> loads = {0.875, 0.375, 0.375, 0.375};  // WL = 2 with μ = 0.25
  EXPECT_EQ(Overloaded(loads, Paper(0.25, 2.0)), (std::vector<bool>{false, false, false, false}));
  // Just below 2: over the threshold, and only the port above the mean is overloaded.
  EXPECT_EQ(Overloaded(loads, Paper(0.25, 1.999)), (std::vector<bool>{true, false, false, false}));
}

TEST(BalanceDegree, PaperThresholdAround186) {
  // WL = 8 |0.5 − μ|: μ = 0.27 → 1.84, μ = 0.265 → 1.88.
  const std::vector<double> loads = {0.875, 0.375, 0.375, 0.375};
  LoadSummary s;
  EXPECT_EQ(Overloaded(loads, Paper(0.27), &s), (std::vector<bool>{false, false, false, false}));
  EXPECT_NEAR(s.wl, 1.84, 1e-12);
  EXPECT_EQ(Overloaded(loads, Paper(0.265), &s), (std::vector<bool>{true, false, false, false}));
  EXPECT_NEAR(s.wl, 1.88, 1e-12);
}

// Why the paper's criterion is not the default (balance_degree.h).
TEST(BalanceDegree, PaperCriterionMissesAHotPortAndFlagsNearlyEqualOnes) {
  LoadSummary s;
  // One port at 90 %, three at 10 %: WL = 2 · 0.3 / 0.4 = 1.5, "balanced".
  EXPECT_EQ(Overloaded({0.9, 0.1, 0.1, 0.1}, Paper(0.0), &s),
            (std::vector<bool>{false, false, false, false}));
  EXPECT_NEAR(s.wl, 1.5, 1e-12);
  // Four ports within 1 % of each other: WL ≈ 122, "unbalanced".
  EXPECT_EQ(Overloaded({0.51, 0.50, 0.50, 0.49}, Paper(0.0), &s),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_GT(s.wl, 100);
  // The load-gap criterion says the opposite in both cases.
  const BalanceCriterionConfig gap;
  EXPECT_EQ(Overloaded({0.9, 0.1, 0.1, 0.1}, gap), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(Overloaded({0.51, 0.50, 0.50, 0.49}, gap),
            (std::vector<bool>{false, false, false, false}));
}

TEST(LoadGapCriterion, RelativeAndAbsoluteMargins) {
  // mean 0.5: the limit is max(0.5 · 1.1, 0.5 + 0.02) = 0.55, i.e. max/mean 1.10.
  EXPECT_EQ(Overloaded({0.56, 0.44}, BalanceCriterionConfig{}), (std::vector<bool>{true, false}));
  EXPECT_EQ(Overloaded({0.54, 0.46}, BalanceCriterionConfig{}), (std::vector<bool>{false, false}));
  // Idle links: 0.03 vs 0.01 is a 50 % gap but below the absolute margin (limit 0.04).
  EXPECT_EQ(Overloaded({0.03, 0.01}, BalanceCriterionConfig{}), (std::vector<bool>{false, false}));
  EXPECT_EQ(Overloaded({0.06, 0.01}, BalanceCriterionConfig{}), (std::vector<bool>{true, false}));  // limit 0.055
}

TEST(BalanceCriterion, ValidationAndNames) {
  BalanceCriterionConfig c;
  EXPECT_TRUE(ValidateBalanceCriterion(c).ok());
  c.gap_ratio = -0.1;
  EXPECT_FALSE(ValidateBalanceCriterion(c).ok());
  EXPECT_EQ(BalanceCriterionName(BalanceCriterion::kPaperBalanceDegree), "paper-wl");
  EXPECT_EQ(BalanceCriterionName(BalanceCriterion::kLoadGapAboveMean), "load-gap");
}

}  // namespace
}  // namespace dmpd::lb
