// SPDX-License-Identifier: BSD-3-Clause
// NodeMonitor: the monitoring model of the paper (§2.3–2.4, §3.2) for one node. The
// daemon's control lcore calls Sample once per interval with the counters only it can
// read; NodeMonitor runs the collectors and formulas, keeps the history and the health
// verdict, and publishes an immutable NodeSample that the HTTP exporter's thread and the
// control socket read. Never on the packet path.
#ifndef DMPD_USERSPACE_MONITOR_NODE_MONITOR_H_
#define DMPD_USERSPACE_MONITOR_NODE_MONITOR_H_

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "userspace/monitor/health_checker.h"
#include "userspace/monitor/history_ring.h"
#include "userspace/monitor/kernel_port_collector.h"
#include "userspace/monitor/link_params_reader.h"
#include "userspace/monitor/node_sample.h"
#include "userspace/monitor/port_load_model.h"
#include "userspace/monitor/sample_inputs.h"
#include "userspace/monitor/system_collector.h"

namespace dmpd::monitor {

struct MonitorConfig {
  std::filesystem::path procfs_root = "/proc";     // like node_exporter's --path.procfs
  std::filesystem::path sysfs_root = "/sys";       // like node_exporter's --path.sysfs
  absl::Duration interval = absl::Seconds(1);      // the nominal Δτ between samples
  size_t history_length = 300;                     // samples kept per port and for the node
  PortLoadWeights load_weights;                    // λ of eqs. (4)–(5)
  double load_gamma = PortLoadModel::kPaperGamma;  // γ of eq. (6)
  HealthConfig health;
  StaticInfo static_info;  // node number and name, configured ports and pipes (MON-5)
};

class NodeMonitor {
 public:
  // Checks the configuration. `link_params` reads ring/channel sizes (the daemon passes
  // EthtoolLinkParamsReader::Create(); null: not read).
  static absl::StatusOr<std::unique_ptr<NodeMonitor>> Create(
      MonitorConfig config, std::unique_ptr<LinkParamsReader> link_params);

  // One sample at `now` (the first has no rates). On the control lcore, once per interval.
  void Sample(absl::Time now, const SampleInputs& inputs);

  // When the next Sample is due: the previous one plus the interval (now if none yet).
  absl::Time NextSampleDue(absl::Time now) const;

  // The latest sample; null before the first. Safe from any thread.
  std::shared_ptr<const NodeSample> Latest() const;

  // Oldest first, at most the `last` most recent. NotFound for a port never sampled.
  absl::StatusOr<std::vector<PortHistoryEntry>> PortHistory(
      std::string_view port, size_t last = static_cast<size_t>(-1)) const;
  std::vector<NodeHistoryEntry> NodeHistory(size_t last = static_cast<size_t>(-1)) const;

  const MonitorConfig& config() const { return config_; }
  // New health limits (SIGHUP); the sustained counts start over.
  absl::Status SetHealthConfig(const HealthConfig& health);

 private:
  struct PortState {
    std::vector<PmdCounterBlock> queues;
    std::optional<KernelCounterBlock> kernel;
    std::optional<XdpCounterBlock> xdp;
    std::optional<double> load;  // L_i(t−1) of eq. (6)
  };
  struct LcoreState {
    LcoreCounterBlock counters;
    absl::Time last_progress;
  };

  NodeMonitor(MonitorConfig config, std::unique_ptr<LinkParamsReader> link_params,
              PortLoadModel load_model, HealthChecker health);

  PortSample SamplePort(const PortInput& in, double interval_seconds, PortState& state,
                        uint64_t& resets);
  std::vector<LcoreSample> SampleLcores(absl::Time now, const std::vector<LcoreInput>& in,
                                        double interval_seconds, uint64_t& resets);
  std::vector<PipeSample> SamplePipes(const PipeStatsSource* source, double interval_seconds,
                                      uint64_t& resets);

  MonitorConfig config_;  // health limits change on SIGHUP (SetHealthConfig)
  std::unique_ptr<LinkParamsReader> link_params_;
  const PortLoadModel load_model_;
  KernelPortCollector kernel_ports_;
  SystemCollector system_;

  // Touched only by Sample (the control lcore).
  HealthChecker health_;
  std::optional<absl::Time> last_time_;
  std::map<std::string, PortState, std::less<>> ports_;
  std::map<uint32_t, LcoreState> lcores_;
  std::map<uint32_t, PipeCounterBlock> pipes_;
  MonitorSelfStats self_;

  mutable absl::Mutex mu_;  // between Sample and the readers (HTTP thread, control socket)
  std::shared_ptr<const NodeSample> latest_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, HistoryRing<PortHistoryEntry>, std::less<>> port_history_
      ABSL_GUARDED_BY(mu_);
  HistoryRing<NodeHistoryEntry> node_history_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_NODE_MONITOR_H_
