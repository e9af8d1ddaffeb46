// SPDX-License-Identifier: BSD-3-Clause
// Daemon: the main lcore's side of dmpdd (DP-5), and only wiring. It builds the modules
// and connects them: the DataPlane (ports, rings, worker lcore) is the ControlChannel's
// transport; modules (neighbour discovery, monitoring) take their timers from the
// EventLoop and register their commands and status parts in the CommandRegistry that the
// ControlServer answers from; the ClusterNode (election, heartbeat cycle, failure
// detection) hears and speaks through the same channel and takes the monitor's samples;
// VirtualService runs the Double-NAT service around the worker's VsWorker (issue 9).
// LoadBalancing turns the samples and the cluster's views into the pipes' port choice.
// Destroying it stops serving, stops the worker and returns every port to the kernel.
#ifndef DMPD_USERSPACE_DAEMON_DAEMON_H_
#define DMPD_USERSPACE_DAEMON_DAEMON_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "userspace/cluster/cluster_node.h"
#include "userspace/control/control_channel.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/data_plane.h"
#include "userspace/daemon/load_balancing.h"
#include "userspace/daemon/neighbour_discovery.h"
#include "userspace/daemon/pipe_service.h"
#include "userspace/daemon/virtual_service.h"
#include "userspace/daemon/port_bandwidths.h"
#include "userspace/monitor/kernel_port_collector.h"
#include "userspace/monitor/node_monitor.h"
#include "userspace/runtime/clock.h"
#include "userspace/runtime/command_registry.h"
#include "userspace/runtime/control_server.h"
#include "userspace/runtime/event_loop.h"
#include "userspace/runtime/metrics_endpoint.h"
#include "userspace/xdp/steer_object_file.h"

namespace dmpd {

class Daemon {
 public:
  // Re-reads the configuration (SIGHUP).
  using ConfigSource = std::function<absl::StatusOr<DaemonConfig>()>;

  // Needs an initialised EAL with at least one worker lcore.
  static absl::StatusOr<std::unique_ptr<Daemon>> Create(const DaemonConfig& config,
                                                        ConfigSource reload);
  ~Daemon();

  // Runs the event loop until SIGINT or SIGTERM arrives on `signal_fd` (a signalfd).
  absl::Status Run(int signal_fd);

 private:
  Daemon(const DaemonConfig& config, ConfigSource reload)
      : config_(config), reload_(std::move(reload)) {}
  absl::Status Start();
  absl::Status StartMonitoring();
  void StartCluster();
  void Sample();
  // The balancer's period: the local ports' loads from sample `s` and the members' views.
  void UpdateBalancer(const monitor::NodeSample& s);
  void OnSignal(int signal_fd);
  void Reload();
  void ReportIdentity(nlohmann::json& status) const;

  DaemonConfig config_;
  ConfigSource reload_;
  SystemClock clock_;
  uint64_t started_ns_ = 0;
  std::unique_ptr<EventLoop> loop_;
  CommandRegistry commands_;
  std::optional<SteerObjectFile> bpf_object_;
  std::unique_ptr<FrameAuth> auth_;  // the cluster key, if configured
  // Declared in start order; destroyed in reverse: clients stop first, the ports last.
  // The balancer is the worker's port choice: it outlives the data plane.
  std::unique_ptr<LoadBalancing> balancer_;
  std::unique_ptr<DataPlane> data_plane_;
  std::unique_ptr<PortBandwidths> bandwidths_;
  std::unique_ptr<ControlChannel> channel_;
  std::unique_ptr<NeighbourDiscovery> neighbours_;
  std::unique_ptr<monitor::NodeMonitor> monitor_;
  std::unique_ptr<cluster::ClusterNode> cluster_;
  std::unique_ptr<PipeService> pipes_;
  std::unique_ptr<VirtualService> vs_;
  monitor::KernelPortCollector kernel_ports_{"/sys", nullptr};
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::unique_ptr<ControlServer> control_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_DAEMON_H_
