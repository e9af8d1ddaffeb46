// SPDX-License-Identifier: BSD-3-Clause
// A backend's health from its checks: fall failures in a row to go down, rise successes in
// a row to come back; an alternating probe never flaps it.
#include "userspace/vs/health_tracker.h"

#include <gtest/gtest.h>

namespace dmpd::vs {
namespace {

const Endpoint kB{0xc6130b02, 8080};

TEST(HealthTrackerTest, FallsAfterFallFailuresAndRisesAfterRiseSuccesses) {
  HealthTracker h({.rise = 2, .fall = 3});
  EXPECT_TRUE(h.healthy(kB));
  EXPECT_EQ(h.Record(kB, false), std::nullopt);
  EXPECT_EQ(h.Record(kB, false), std::nullopt);
  EXPECT_TRUE(h.healthy(kB));
  EXPECT_EQ(h.Record(kB, false), std::optional<bool>(false));
  EXPECT_FALSE(h.healthy(kB));
  EXPECT_EQ(h.Record(kB, false), std::nullopt);
  EXPECT_EQ(h.Record(kB, true), std::nullopt);
  EXPECT_EQ(h.Record(kB, true), std::optional<bool>(true));
  EXPECT_TRUE(h.healthy(kB));
}

TEST(HealthTrackerTest, AlternatingResultsNeverFlap) {
  HealthTracker h({.rise = 2, .fall = 2});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(h.Record(kB, i % 2 == 0), std::nullopt);
  EXPECT_TRUE(h.healthy(kB));
  h.Forget(kB);
  EXPECT_TRUE(h.healthy(kB));
}

}  // namespace
}  // namespace dmpd::vs
