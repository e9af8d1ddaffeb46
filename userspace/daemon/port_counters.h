// SPDX-License-Identifier: BSD-3-Clause
// What the daemon itself counts per port. Worker-written fields are RelaxedCounters read
// by the main lcore; each struct sits on its own cache lines.
#ifndef DMPD_USERSPACE_DAEMON_PORT_COUNTERS_H_
#define DMPD_USERSPACE_DAEMON_PORT_COUNTERS_H_

#include <array>

#include "common/frame_header.h"
#include "userspace/runtime/relaxed_counter.h"

namespace dmpd {

struct alignas(64) PortCounters {
  // Written by the worker lcore.
  RelaxedCounter rx_frames;
  RelaxedCounter control_frames;
  RelaxedCounter data_frames;
  RelaxedCounter own_frames;
  RelaxedCounter not_dmpd;
  RelaxedCounter control_ring_full;  // control frames dropped: main lcore too slow
  RelaxedCounter hellos_sent;
  RelaxedCounter tx_frames;
  RelaxedCounter tx_dropped;    // the PMD's tx queue was full
  RelaxedCounter tx_link_down;  // queued while the link was down: dropped, not sent
  std::array<RelaxedCounter, kDecodeErrorCount> rejected;
  // Set by the main lcore from the kernel's link state; read by the worker, which then
  // drops (and counts) what is queued instead of handing it to a dead link.
  std::atomic<bool> link_down{false};
};

struct alignas(64) WorkerStats {
  RelaxedCounter polls;
  RelaxedCounter empty_polls;
  RelaxedCounter sleeps;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_PORT_COUNTERS_H_
