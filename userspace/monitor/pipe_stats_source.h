// SPDX-License-Identifier: BSD-3-Clause
// The interface the pipes module implements so that monitoring (MON-4) can report pipes
// without depending on it.
#ifndef DMPD_USERSPACE_MONITOR_PIPE_STATS_SOURCE_H_
#define DMPD_USERSPACE_MONITOR_PIPE_STATS_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "userspace/monitor/counter_block.h"

namespace dmpd::monitor {

// A pipe as the pipes module reports it (MON-4), counters cumulative.
struct PipeStats {
  uint32_t id = 0;
  std::string name;
  std::string state;  // "open", "closing", …
  uint32_t priority = 0;
  uint64_t capacity_bytes = 0;  // the pipe's "size": its rings' data areas
  uint64_t fill_bytes = 0;      // queued now (tx + rx rings)
#define DMPD_PIPE_STATS_FIELD(key, metric, help) uint64_t key = 0;
  DMPD_PIPE_COUNTERS(DMPD_PIPE_STATS_FIELD)
#undef DMPD_PIPE_STATS_FIELD
};

// Implemented by the pipes module; until it exists NodeMonitor reports an empty set.
PipeCounterBlock PipeStatsToBlock(const PipeStats& s);

class PipeStatsSource {
 public:
  virtual ~PipeStatsSource() = default;
  virtual std::vector<PipeStats> PipeSnapshot() const = 0;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_PIPE_STATS_SOURCE_H_
