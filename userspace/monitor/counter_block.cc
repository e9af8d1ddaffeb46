// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/counter_block.h"

#include "userspace/monitor/pipe_stats_source.h"
#include "userspace/monitor/sample_inputs.h"

namespace dmpd::monitor {

// One macro for every list: the enum namespace is aliased as E in each function.
#define DMPD_FIELD_TO_BLOCK(key, ...) b.total[E::key] = s.key;

XdpCounterBlock XdpCountersToBlock(const dmpd_steer_counters& s) {
  namespace E = XdpCounter;
  XdpCounterBlock b;
  DMPD_STEER_COUNTERS(DMPD_FIELD_TO_BLOCK)
  return b;
}

PmdCounterBlock PmdStatsToBlock(const PmdStats& s) {
  namespace E = PmdCounter;
  PmdCounterBlock b;
  DMPD_PMD_COUNTERS(DMPD_FIELD_TO_BLOCK)
  return b;
}

PipeCounterBlock PipeStatsToBlock(const PipeStats& s) {
  namespace E = PipeCounter;
  PipeCounterBlock b;
  DMPD_PIPE_COUNTERS(DMPD_FIELD_TO_BLOCK)
  return b;
}

#undef DMPD_FIELD_TO_BLOCK

}  // namespace dmpd::monitor
