// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/counter_delta.h"

#include <gtest/gtest.h>

#include "userspace/monitor/counter_block.h"

namespace dmpd::monitor {
namespace {

TEST(CounterIncrease, Forward) {
  EXPECT_EQ(CounterIncrease(100, 250).increase, 150u);
  EXPECT_FALSE(CounterIncrease(100, 250).reset);
  EXPECT_EQ(CounterIncrease(7, 7).increase, 0u);
}

TEST(CounterIncrease, Wrap32) {
  // 0xFFFFFF00 → 0x100: 0xFF to reach 0xFFFFFFFF, 1 to wrap to 0, 0x100 after: 0x200.
  const CounterStep s = CounterIncrease(0xFFFFFF00u, 0x100u, CounterWidth::k32Bits);
  EXPECT_EQ(s.increase, 0x200u);
  EXPECT_FALSE(s.reset);
}

TEST(CounterIncrease, Wrap64) {
  const CounterStep s = CounterIncrease(~0ull - 9, 5);  // 9 to the top, 1 to 0, then 5: 15
  EXPECT_EQ(s.increase, 15u);
  EXPECT_FALSE(s.reset);
}

TEST(CounterIncrease, ResetCountsFromZero) {
  // A restarted PMD: 5,000,000 before, 1,200 now: 1,200 since the restart, never negative.
  const CounterStep s = CounterIncrease(5'000'000, 1'200);
  EXPECT_EQ(s.increase, 1'200u);
  EXPECT_TRUE(s.reset);
  // A 32-bit counter that went back from the middle of its range is a reset, not a wrap
  // (a wrap would claim ~2^31 frames in one interval).
  const CounterStep r = CounterIncrease(0x80000000u, 0x10u, CounterWidth::k32Bits);
  EXPECT_EQ(r.increase, 0x10u);
  EXPECT_TRUE(r.reset);
}

TEST(CounterBlock, AdvanceGivesRatesAndCountsResets) {
  PmdCounterBlock before, after;
  before.total[PmdCounter::rx_packets] = 1000;
  before.total[PmdCounter::rx_bytes] = 64'000;
  after.total[PmdCounter::rx_packets] = 3000;  // +2000 in 2 s: 1000/s
  after.total[PmdCounter::rx_bytes] = 100;     // reset: 100 since
  EXPECT_EQ(after.Advance(&before, 2.0), 1u);
  EXPECT_EQ(after.increase[PmdCounter::rx_packets], 2000u);
  EXPECT_DOUBLE_EQ(*after.per_second[PmdCounter::rx_packets], 1000.0);
  EXPECT_DOUBLE_EQ(*after.per_second[PmdCounter::rx_bytes], 50.0);
  // Counters neither side has stay not available.
  EXPECT_FALSE(after.per_second[PmdCounter::imissed].has_value());
  // No previous sample: no rates.
  EXPECT_EQ(after.Advance(nullptr, 2.0), 0u);
  EXPECT_FALSE(after.per_second[PmdCounter::rx_packets].has_value());
}

TEST(CounterBlock, AccumulateKeepsNotAvailable) {
  PmdCounterBlock a, b;
  a.total[PmdCounter::rx_packets] = 5;
  b.total[PmdCounter::rx_packets] = 7;
  a.Accumulate(b);
  EXPECT_EQ(a.total[PmdCounter::rx_packets], 12u);
  EXPECT_FALSE(a.total[PmdCounter::tx_packets].has_value());
}

}  // namespace
}  // namespace dmpd::monitor
