// SPDX-License-Identifier: BSD-3-Clause
// What the daemon hands NodeMonitor::Sample each interval: the counters only it can read
// (the PMD's, the XDP map's, its lcores', the heartbeat's peer reports). Plain structs, so
// this library needs no DPDK header; the daemon copies rte_eth_stats field by field.
#ifndef DMPD_USERSPACE_MONITOR_SAMPLE_INPUTS_H_
#define DMPD_USERSPACE_MONITOR_SAMPLE_INPUTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/xdp_steer.h"
#include "userspace/monitor/counter_block.h"
#include "userspace/monitor/pipe_stats_source.h"

namespace dmpd::monitor {

// One rte_eth_stats (of one PMD port; on veth the daemon attaches one PMD port per queue,
// start_queue=N, so a kernel interface can have several), cumulative since the PMD started.
struct PmdStats {
#define DMPD_PMD_STATS_FIELD(key, metric, help) uint64_t key = 0;
  DMPD_PMD_COUNTERS(DMPD_PMD_STATS_FIELD)
#undef DMPD_PMD_STATS_FIELD
  // rte_eth_xstats_get_names + rte_eth_xstats_get, as the PMD names them.
  std::vector<std::pair<std::string, uint64_t>> xstats;
};

PmdCounterBlock PmdStatsToBlock(const PmdStats& s);

// One LAN port: a kernel interface the daemon attached to.
struct PortInput {
  std::string name;              // the kernel interface name ("eth1", "n1p0")
  std::vector<PmdStats> queues;  // one per PMD port (queue) on this interface
  // The XDP program's counters on this interface, summed over CPUs; nullopt when the map
  // could not be read.
  std::optional<dmpd_steer_counters> xdp;
  // rte_eth_link_get_nowait's link_status; nullopt when not asked.
  std::optional<bool> pmd_link_up;
  // BW of eq. (3) for an interface that reports no speed (veth), bit/s.
  std::optional<double> configured_bandwidth_bits_per_second;
  // BW set by the operator at run time, bit/s: wins over the link's own speed (a switch
  // port or a shaper slower than the NIC; `dmpdctl port-bandwidth`).
  std::optional<double> override_bandwidth_bits_per_second;
  // R_loss of eq. (2), 0..1, as the cluster measured it from the frames of this port its
  // peers received (CLU-2, docs/cluster.md "Loss"); nullopt until the cluster reports.
  std::optional<double> cluster_loss_ratio;
};

// One worker lcore's counters (DP-7). Progress is any of them moving: a worker in idle
// back-off must wake (and count a poll) more often than the health check's stall time.
struct LcoreInput {
  uint32_t lcore_id = 0;
  std::string role;  // "worker", "control", …
  uint64_t packets = 0;
  uint64_t empty_polls = 0;
  uint64_t busy_polls = 0;
};

struct SampleInputs {
  std::vector<PortInput> ports;
  std::vector<LcoreInput> lcores;
  const PipeStatsSource* pipes = nullptr;  // nullptr: no pipes module yet
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_SAMPLE_INPUTS_H_
