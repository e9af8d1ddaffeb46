// SPDX-License-Identifier: BSD-3-Clause
// LoadBalancing: the daemon's wiring of the load balancer (issue 10; LB-1..6). It owns the
// lb::Balancer and the pipe engine's BalancedPortChooser; once a sampling period the
// daemon hands it the local ports' smoothed loads and the cluster's views of the other
// nodes (Update), and it serves `dmpdctl lb` and its part of /metrics from the report the
// worker publishes (BalancedPortChooser::LatestReport).
//
// Threads: everything here runs on the main lcore; the chooser's decisions run on the
// worker (balanced_port_chooser.h).
#ifndef DMPD_USERSPACE_DAEMON_LOAD_BALANCING_H_
#define DMPD_USERSPACE_DAEMON_LOAD_BALANCING_H_

#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/node_view.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/lb/balancer.h"
#include "userspace/pipe/balanced_port_chooser.h"
#include "userspace/runtime/command_registry.h"

namespace dmpd {

class LoadBalancing {
 public:
  static absl::StatusOr<std::unique_ptr<LoadBalancing>> Create(const DaemonConfig& config);

  // For the data plane: outlives it (the daemon destroys the data plane first).
  pipe::PortChooser* chooser() { return chooser_.get(); }

  // One sampling period: the local ports (PortInput::port_id = local port index) and the
  // views of the nodes messages may go to. Asks the worker for a fresh report.
  void Update(std::span<const lb::PortInput> local, std::span<const NodeView> destinations,
              absl::Time now);

  // `lb` (the report as JSON) and the `lb` section of `status`.
  void Register(CommandRegistry& commands);
  // dmpd_lb_* series; empty before the worker's first report.
  std::string RenderMetrics(const std::string& node_name) const;
  nlohmann::json Report() const;

 private:
  LoadBalancing(std::unique_ptr<lb::Balancer> balancer, pipe::BalancedPortChooser::Policy policy);

  std::unique_ptr<lb::Balancer> balancer_;
  std::unique_ptr<pipe::BalancedPortChooser> chooser_;
  uint64_t update_errors_ = 0;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_LOAD_BALANCING_H_
