// SPDX-License-Identifier: BSD-3-Clause
// Each expected value is computed by hand in the comment beside it.
#include "userspace/monitor/port_formulas.h"

#include <gtest/gtest.h>

#include <vector>

#include "userspace/monitor/port_load_model.h"

namespace dmpd::monitor {
namespace {

TEST(PortTrafficBits, Eq1SumsAllQueuesInBits) {
  // (1000 + 500) + (250 + 250) = 2000 bytes = 16000 bits.
  const std::vector<QueueByteCounts> q = {{1000, 500}, {250, 250}};
  EXPECT_EQ(PortTrafficBits(q), 16000u);
  // The paper's unit: 1 KiB received on one queue is 1 × 1024 × 8 = 8192 bits.
  const std::vector<QueueByteCounts> kib = {{1024, 0}};
  EXPECT_EQ(PortTrafficBits(kib), 8192u);
  EXPECT_EQ(PortTrafficBits({}), 0u);
}

TEST(LossRatio, Eq2) {
  // 1 − 950 / 1000 = 0.05 (the paper's 5 %).
  EXPECT_DOUBLE_EQ(*LossRatio(1000, 950), 0.05);
  EXPECT_DOUBLE_EQ(*LossRatio(1000, 1000), 0.0);
  EXPECT_DOUBLE_EQ(*LossRatio(1000, 0), 1.0);
  // Peers counted frames sent before the interval began: clamped, never negative.
  EXPECT_DOUBLE_EQ(*LossRatio(1000, 1010), 0.0);
  // No peer report, or nothing sent: not available.
  EXPECT_FALSE(LossRatio(1000, std::nullopt).has_value());
  EXPECT_FALSE(LossRatio(0, 0).has_value());
}

TEST(PortUtilisationRatio, Eq3) {
  // 5e8 bits in 5 s on 1 Gb/s: 1e8 / 1e9 = 0.1 (the paper's 10 %).
  EXPECT_DOUBLE_EQ(*PortUtilisationRatio(500'000'000, 5.0, 1e9), 0.1);
  // 12.5 MB received in 1 s on a 100 Mb/s veth: 1e8 bits / 1e8 = 1.0.
  EXPECT_DOUBLE_EQ(*PortUtilisationRatio(12'500'000ull * 8, 1.0, 1e8), 1.0);
  EXPECT_FALSE(PortUtilisationRatio(1000, 1.0, std::nullopt).has_value());
  EXPECT_FALSE(PortUtilisationRatio(1000, 0.0, 1e9).has_value());
  EXPECT_FALSE(PortUtilisationRatio(1000, 1.0, 0.0).has_value());
}

TEST(PortBandwidthBitsPerSecond, LinkSpeedFirstThenConfigured) {
  EXPECT_DOUBLE_EQ(*PortBandwidthBitsPerSecond(1000, 5e8), 1e9);          // 1000 Mb/s = 1e9 bit/s
  EXPECT_DOUBLE_EQ(*PortBandwidthBitsPerSecond(std::nullopt, 5e8), 5e8);  // veth
  EXPECT_FALSE(PortBandwidthBitsPerSecond(std::nullopt, std::nullopt).has_value());
}

TEST(QueueOverflowRatio, OverflowedOverArrived) {
  // 10 overflowed, 1990 received: 10 / 2000 = 0.005.
  EXPECT_DOUBLE_EQ(*QueueOverflowRatio(10, 1990), 0.005);
  EXPECT_DOUBLE_EQ(*QueueOverflowRatio(5, 0), 1.0);
  EXPECT_FALSE(QueueOverflowRatio(0, 0).has_value());
}

TEST(PortLoadModel, Eq4RejectsWeightsThatDoNotSumToOne) {
  EXPECT_TRUE(PortLoadModel::Create().ok());
  EXPECT_FALSE(PortLoadModel::Create({0.8, 0.1, 0.2}).ok());    // 1.1
  EXPECT_FALSE(PortLoadModel::Create({1.2, -0.1, -0.1}).ok());  // outside [0, 1]
  EXPECT_FALSE(PortLoadModel::Create({}, 0.0).ok());
  EXPECT_FALSE(PortLoadModel::Create({}, 1.5).ok());
  EXPECT_TRUE(PortLoadModel::Create({0.5, 0.25, 0.25}, 1.0).ok());
}

TEST(PortLoadModel, Eq5WeightedSum) {
  const PortLoadModel m = *PortLoadModel::Create();
  // 0.84 × 0.5 + 0.09 × 0.1 + 0.07 × 0.2 = 0.42 + 0.009 + 0.014 = 0.443.
  EXPECT_NEAR(m.InstantLoad({0.5, 0.1, 0.2}), 0.443, 1e-12);
  // Not available factors count as 0: 0.84 × 0.5 = 0.42.
  EXPECT_NEAR(m.InstantLoad({0.5, std::nullopt, std::nullopt}), 0.42, 1e-12);
  // A full-duplex link at 1.6 (both ways busy) clamps to 1: 0.84 + 0 + 0.
  EXPECT_NEAR(m.InstantLoad({1.6, 0.0, 0.0}), 0.84, 1e-12);
  // Every factor saturated: Σλ = 1.
  EXPECT_NEAR(m.InstantLoad({1.0, 1.0, 1.0}), 1.0, 1e-12);
}

TEST(PortLoadModel, Eq6Ewma) {
  const PortLoadModel m = *PortLoadModel::Create();
  // First sample: taken as is.
  EXPECT_DOUBLE_EQ(m.SmoothedLoad(0.5, std::nullopt), 0.5);
  // 0.8 × 0.9 + 0.2 × 0.5 = 0.72 + 0.10 = 0.82.
  EXPECT_NEAR(m.SmoothedLoad(0.9, 0.5), 0.82, 1e-12);
  // A one-sample spike to 1.0 from a steady 0.1: 0.8 + 0.02 = 0.82; the next sample back
  // at 0.1: 0.08 + 0.2 × 0.82 = 0.244.
  const double spike = m.SmoothedLoad(1.0, 0.1);
  EXPECT_NEAR(spike, 0.82, 1e-12);
  EXPECT_NEAR(m.SmoothedLoad(0.1, spike), 0.244, 1e-12);
}

}  // namespace
}  // namespace dmpd::monitor
