// SPDX-License-Identifier: BSD-3-Clause
// Self-monitoring (MON-7): is this node fit to stay in the cluster? Computes a verdict
// with reasons from each sample; the cluster module acts on it (leave, announce, rejoin).
#ifndef DMPD_USERSPACE_MONITOR_HEALTH_CHECKER_H_
#define DMPD_USERSPACE_MONITOR_HEALTH_CHECKER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "userspace/monitor/node_sample.h"

namespace dmpd::monitor {

struct HealthConfig {
  bool check_lan_ports = true;  // unhealthy when every LAN port is down
  // A worker lcore whose counters did not move for this long is stalled; infinite: off.
  absl::Duration lcore_stall_after = absl::Seconds(5);
  std::optional<double> max_memory_utilisation_ratio = 0.95;
  // Off by default: busy-polling workers read 100 % by design (DP-7).
  std::optional<double> max_cpu_utilisation_ratio;
  std::optional<double> max_loss_ratio = 0.5;
  // CPU and loss must stay past their limits this many samples in a row: one burst is
  // not a reason to leave the cluster.
  uint32_t sustained_samples = 3;
  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

class HealthChecker {
 public:
  static absl::StatusOr<HealthChecker> Create(HealthConfig config);

  // Called once per sample, in order: the sustained checks count consecutive samples.
  HealthVerdict Evaluate(const NodeSample& sample);

 private:
  explicit HealthChecker(HealthConfig config) : config_(config) {}

  HealthConfig config_;
  uint32_t cpu_high_samples_ = 0;
  std::map<std::string, uint32_t, std::less<>> loss_high_samples_;  // by port
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_HEALTH_CHECKER_H_
