// SPDX-License-Identifier: BSD-3-Clause
// NodeSample: everything one monitoring sample knows about this node (MON-1..7), the one
// structure the Prometheus exposition, the dmpdctl views and the health checks read.
#ifndef DMPD_USERSPACE_MONITOR_NODE_SAMPLE_H_
#define DMPD_USERSPACE_MONITOR_NODE_SAMPLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "userspace/monitor/counter_block.h"
#include "userspace/monitor/kernel_port_collector.h"
#include "userspace/monitor/system_collector.h"

namespace dmpd::monitor {

struct PmdQueueSample {
  PmdCounterBlock counters;
  std::vector<std::pair<std::string, uint64_t>> xstats;
};

struct PortSample {
  std::string name;
  bool up = false;  // the paper's state bit (Table 4): kernel link up and PMD link up
  // The three sources side by side (MON-2).
  std::vector<PmdQueueSample> pmd_queues;  // per queue
  PmdCounterBlock pmd;                     // summed over queues
  KernelPortView kernel;                   // counters with rates
  std::optional<XdpCounterBlock> xdp;      // nullopt: the daemon could not read the map
  // The paper's model (§2.3 eqs. (1)–(3), §3.2 eqs. (4)–(6)).
  uint64_t traffic_bits = 0;                      // F_port(t), eq. (1), cumulative
  std::optional<double> receive_bits_per_second;  // PMD bytes × 8 / Δτ
  std::optional<double> transmit_bits_per_second;
  std::optional<double> bandwidth_bits_per_second;  // BW: link speed or configured
  bool bandwidth_configured = false;                // BW came from configuration
  std::optional<double> utilisation_ratio;          // U_port, eq. (3), DMPD traffic
  std::optional<double> kernel_utilisation_ratio;   // the same over the kernel's counters
  std::optional<double> loss_ratio;                 // R_loss, eq. (2)
  std::optional<double> overflow_ratio;             // queue-overflow factor of eq. (5)
  std::optional<double> instant_load;               // L'_i(t), eq. (5)
  std::optional<double> load;                       // L_i(t), eq. (6)
};

struct LcoreSample {
  uint32_t lcore_id = 0;
  std::string role;
  LcoreCounterBlock counters;
  std::optional<double> busy_ratio;  // busy polls / all polls over the interval
  absl::Duration since_progress;     // time since any of its counters last moved
};

struct PipeSample {
  uint32_t id = 0;
  std::string name;
  std::string state;
  uint32_t priority = 0;
  uint64_t capacity_bytes = 0;
  uint64_t fill_bytes = 0;
  std::optional<double> fill_ratio;
  PipeCounterBlock counters;
};

// MON-5: what the configuration says (and the hugepages the system has).
struct StaticInfo {
  uint32_t node_num = 0;
  std::string node_name;
  std::vector<std::string> configured_ports;
  uint32_t configured_pipes = 0;
  uint32_t worker_lcores = 0;
  std::optional<uint64_t> hugepage_size_bytes;
  std::optional<uint64_t> hugepages_total;
  std::optional<uint64_t> hugepages_free;
};

// The health checks (MON-7), one list: enum and names come from it.
#define DMPD_HEALTH_CHECKS(X)                                                             \
  X(kLanPortsDown, "lan_ports_down", "every LAN port is down")                            \
  X(kLcoreStalled, "lcore_stalled", "a worker lcore made no progress for the stall time") \
  X(kMemoryHigh, "memory_high", "memory utilisation above its limit")                     \
  X(kCpuHigh, "cpu_high", "CPU utilisation above its limit for the sustained samples")    \
  X(kSustainedLoss, "sustained_loss", "a port's loss above its limit for the sustained samples")

enum class HealthCheck : uint8_t {
#define DMPD_HEALTH_CHECK_ENUM(e, name, help) e,
  DMPD_HEALTH_CHECKS(DMPD_HEALTH_CHECK_ENUM)
#undef DMPD_HEALTH_CHECK_ENUM
};
struct HealthCheckInfo {
  HealthCheck check;
  std::string_view name;
  std::string_view help;
};
inline constexpr HealthCheckInfo kHealthChecks[] = {
#define DMPD_HEALTH_CHECK_INFO(e, name, help) {HealthCheck::e, name, help},
    DMPD_HEALTH_CHECKS(DMPD_HEALTH_CHECK_INFO)
#undef DMPD_HEALTH_CHECK_INFO
};
std::string_view HealthCheckName(HealthCheck c);

struct HealthReason {
  HealthCheck check;
  std::string detail;  // "lcore 2 made no progress for 7s"
};

struct HealthVerdict {
  bool healthy = true;
  std::vector<HealthReason> reasons;  // empty when healthy
};

// The monitor's cost and trouble, so that monitoring is itself monitored.
struct MonitorSelfStats {
  uint64_t samples = 0;
  uint64_t counter_resets = 0;  // cumulative
  absl::Duration last_sample_duration;
};

struct NodeSample {
  absl::Time time;
  std::optional<double> interval_seconds;  // Δτ; nullopt on the first sample
  StaticInfo static_info;
  SystemSample system;
  std::vector<PortSample> ports;
  std::vector<LcoreSample> lcores;
  std::vector<PipeSample> pipes;
  HealthVerdict health;
  MonitorSelfStats self;
};

// History entries (MON-2): what the CLI's `history` and the trend graphs need.
struct PortHistoryEntry {
  absl::Time time;
  bool up = false;
  std::optional<double> receive_bits_per_second;
  std::optional<double> transmit_bits_per_second;
  std::optional<double> utilisation_ratio;
  std::optional<double> loss_ratio;
  std::optional<double> overflow_ratio;
  std::optional<double> load;
};

struct NodeHistoryEntry {
  absl::Time time;
  std::optional<double> cpu_utilisation_ratio;
  std::optional<double> memory_utilisation_ratio;
  std::optional<double> load1;
  std::optional<double> io_utilisation_ratio;
  std::optional<double> network_receive_bits_per_second;
  std::optional<double> network_transmit_bits_per_second;
  bool healthy = true;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_NODE_SAMPLE_H_
