// SPDX-License-Identifier: BSD-3-Clause
// Daemon: the main lcore's side of dmpdd (DP-5). It owns the ports, the rings and the
// worker lcore; sends hellos, learns neighbours from the public ring, and answers the
// control socket. Destroying it stops the worker and returns every port to the kernel.
#ifndef DMPD_USERSPACE_DAEMON_DAEMON_H_
#define DMPD_USERSPACE_DAEMON_DAEMON_H_

#include <rte_ring.h>

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "userspace/daemon/af_xdp_port.h"
#include "userspace/daemon/control_server.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/neighbour_table.h"
#include "userspace/daemon/port_counters.h"
#include "userspace/daemon/worker.h"
#include "userspace/monitor/kernel_port_collector.h"
#include "userspace/monitor/metrics_http_server.h"
#include "userspace/monitor/node_monitor.h"
#include "userspace/xdp/steer_object_file.h"

namespace dmpd {

class Daemon {
 public:
  // Needs an initialised EAL with at least one worker lcore.
  static absl::StatusOr<std::unique_ptr<Daemon>> Create(const DaemonConfig& config);
  ~Daemon();

  // Runs the control loop until `signal_fd` (a signalfd) becomes readable.
  absl::Status Run(int signal_fd);

 private:
  explicit Daemon(const DaemonConfig& config);
  absl::Status Start();
  absl::Status StartMonitoring();
  // Wall time at start advanced by the monotonic clock: samples keep readable timestamps,
  // and a stepped system clock (NTP) neither stalls sampling nor distorts Δτ.
  absl::Time MonitorClock() const;
  void SampleMonitor();
  void SendHellos();
  void DrainControlRing(uint64_t now_ns);
  std::string HandleCommand(absl::string_view command);
  nlohmann::json Status(uint64_t now_ns);

  DaemonConfig config_;
  uint64_t started_ns_ = 0;  // CLOCK_MONOTONIC
  absl::Time started_wall_;
  std::optional<SteerObjectFile> bpf_object_;
  std::vector<std::unique_ptr<AfXdpPort>> ports_;
  std::vector<std::unique_ptr<PortCounters>> counters_;
  std::vector<rte_ring*> tx_rings_;
  std::vector<uint32_t> hello_sequence_;
  rte_ring* control_ring_ = nullptr;
  UniqueFd wake_fd_;            // main -> worker: frames queued to send
  UniqueFd control_frames_fd_;  // worker -> main: control frames on the public ring
  WorkerContext worker_;
  unsigned worker_lcore_ = 0;
  bool worker_running_ = false;
  NeighbourTable neighbours_{0};
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<monitor::NodeMonitor> monitor_;
  monitor::KernelPortCollector kernel_ports_{"/sys", nullptr};
  std::unique_ptr<monitor::MetricsHttpServer> metrics_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_DAEMON_H_
