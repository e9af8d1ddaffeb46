// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/counter_block.h"

#include "userspace/monitor/pipe_stats_source.h"
#include "userspace/monitor/sample_inputs.h"

namespace dmpd::monitor {

XdpCounterBlock XdpCountersToBlock(const dmpd_steer_counters& c) {
  XdpCounterBlock b;
#define DMPD_XDP_TO_BLOCK(key, help) b.total[XdpCounter::key] = c.key;
  DMPD_STEER_COUNTERS(DMPD_XDP_TO_BLOCK)
#undef DMPD_XDP_TO_BLOCK
  return b;
}

PmdCounterBlock PmdStatsToBlock(const PmdStats& s) {
  PmdCounterBlock b;
#define DMPD_PMD_TO_BLOCK(key, metric, help) b.total[PmdCounter::key] = s.key;
  DMPD_PMD_COUNTERS(DMPD_PMD_TO_BLOCK)
#undef DMPD_PMD_TO_BLOCK
  return b;
}

PipeCounterBlock PipeStatsToBlock(const PipeStats& s) {
  PipeCounterBlock b;
#define DMPD_PIPE_TO_BLOCK(key, metric, help) b.total[PipeCounter::key] = s.key;
  DMPD_PIPE_COUNTERS(DMPD_PIPE_TO_BLOCK)
#undef DMPD_PIPE_TO_BLOCK
  return b;
}

}  // namespace dmpd::monitor
