// SPDX-License-Identifier: BSD-3-Clause
// How much a cumulative counter grew between two reads, without the negative or huge
// steps that a wrap or a reset (a restarted PMD, a re-created interface) would give.
#ifndef DMPD_USERSPACE_MONITOR_COUNTER_DELTA_H_
#define DMPD_USERSPACE_MONITOR_COUNTER_DELTA_H_

#include <cstdint>

namespace dmpd::monitor {

enum class CounterWidth : uint8_t { k32Bits, k64Bits };

struct CounterStep {
  uint64_t increase = 0;
  bool reset = false;  // the counter went back: counted from 0 again
};

// The increase from `previous` to `current`. A counter that went back is a wrap when it
// was in the top quarter of its range and is now in the bottom quarter (the step is then
// the distance through the wrap); otherwise it was reset and counted from 0 since, so the
// increase is `current` (as Prometheus' rate() assumes). Either way the step is never
// negative and never larger than what the counter can have counted since the last read.
CounterStep CounterIncrease(uint64_t previous, uint64_t current,
                            CounterWidth width = CounterWidth::k64Bits);

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_COUNTER_DELTA_H_
