// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/counter_delta.h"

#include <limits>

namespace dmpd::monitor {

CounterStep CounterIncrease(uint64_t previous, uint64_t current, CounterWidth width) {
  if (current >= previous) return {current - previous, false};
  const uint64_t max = width == CounterWidth::k32Bits ? std::numeric_limits<uint32_t>::max()
                                                      : std::numeric_limits<uint64_t>::max();
  const uint64_t quarter = max / 4;
  if (previous <= max && previous >= max - quarter && current <= quarter) {
    return {(max - previous) + current + 1, false};
  }
  return {current, true};
}

}  // namespace dmpd::monitor
