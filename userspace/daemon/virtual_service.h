// SPDX-License-Identifier: BSD-3-Clause
// VirtualService: the daemon's wiring of the Double-NAT virtual service (issue 9; VS-1,
// seed 004; docs/vs.md). The packets are the worker's (VsWorker, vs::FrameForwarder); this
// module, on the main lcore, does everything around them:
//
//   - configuration: services and backends from the config file at start, then
//     `dmpdctl vs add-service|remove-service|add-backend|remove-backend` at run time, each
//     run on the worker (WorkerTasks) so that its errors reach the operator;
//   - steering: every port's dmpd_vs_* maps follow the services the worker has (draining
//     ones included, so their connections keep flowing until they end);
//   - the vdport range, reserved from the kernel's ephemeral ports while a service exists
//     (net.ipv4.ip_local_reserved_ports of the node's namespace; ours removed again);
//   - next hops: addresses the worker wants are looked up in the kernel's routes and
//     neighbours (KernelNextHops), solicited through the kernel when not resolved yet,
//     handed to the worker, refreshed every second, forgotten after a minute unused;
//   - health: a TCP connect to every backend each vs_health_interval_ms; HealthTracker
//     turns the results into up/down, and a backend that is down gets no new connections;
//   - operators: `dmpdctl vs` (table and --json), `status.vs`, dmpd_vs_* metrics.
#ifndef DMPD_USERSPACE_DAEMON_VIRTUAL_SERVICE_H_
#define DMPD_USERSPACE_DAEMON_VIRTUAL_SERVICE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/data_plane.h"
#include "userspace/daemon/kernel_next_hops.h"
#include "userspace/runtime/command_registry.h"
#include "userspace/runtime/event_loop.h"
#include "userspace/vs/health_tracker.h"
#include "userspace/vs/service_spec.h"
#include "userspace/xdp/vs_steer_maps.h"

namespace dmpd {

class VirtualService {
 public:
  static absl::StatusOr<std::unique_ptr<VirtualService>> Start(const DaemonConfig& config,
                                                               EventLoop& loop, DataPlane& dp,
                                                               CommandRegistry& commands);
  ~VirtualService();  // steering off, the reserved ports given back, checks closed
  VirtualService(const VirtualService&) = delete;
  VirtualService& operator=(const VirtualService&) = delete;

  // `vs` as JSON (the worker's report plus this module's), for the command and tests.
  absl::StatusOr<nlohmann::json> Report();
  // dmpd_vs_* series; empty if the worker does not answer.
  std::string RenderMetrics(const std::string& node_name);

 private:
  struct Check;  // one TCP connect in flight

  VirtualService(const DaemonConfig& config, EventLoop& loop, DataPlane& dp);
  absl::Status ApplyConfig();
  absl::StatusOr<nlohmann::json> Command(const std::vector<std::string>& args);
  absl::Status AddService(const vs::ServiceLine& line);
  absl::Status CheckVipIsLocalNow(const vs::ServiceId& id) const;
  absl::Status RemoveService(const vs::ServiceId& id);
  absl::Status AddBackend(const vs::BackendLine& line);
  absl::Status RemoveBackend(const vs::ServiceId& id, const vs::Endpoint& backend);

  // Reads the worker's services (kept in services_) and steers what they need.
  absl::Status SyncSteering();
  absl::Status ReservePorts();
  void RestoreReservedPorts();
  std::string ReservedRange() const;  // "first-last"

  void ResolveWanted();     // every 10 ms: what the worker asked for, and retries
  void RefreshNextHops();   // every second: what the worker has
  void Resolve(uint32_t addr);
  void ApplyNextHop(uint32_t addr, const NextHop& hop);
  std::optional<uint32_t> OurPort(int ifindex) const;
  void WarnResolver(const std::string& text);
  void RunHealthChecks();
  void FinishCheck(uint64_t id, bool ok);
  std::set<std::pair<uint32_t, uint16_t>> BackendEndpoints() const;

  DaemonConfig config_;
  EventLoop& loop_;
  DataPlane& dp_;
  std::vector<VsSteerMaps> steer_;  // per port
  std::optional<KernelNextHops> kernel_;
  bool reserved_ = false;  // our range is in ip_local_reserved_ports
  // The worker's services as SyncSteering last read them: every second and after each
  // change, which is as fresh as the health checks need their backends.
  std::vector<vs::ServiceReport> services_;
  std::vector<TimerQueue::TimerId> timers_;
  uint64_t last_resolver_warning_ns_ = 0;
  // Next hops handed to the worker (a copy, for refreshing) and addresses being solicited.
  std::map<uint32_t, vs::NextHopEntry> next_hops_;
  std::map<uint32_t, uint64_t> soliciting_;  // address -> give up at (ns)
  vs::HealthTracker health_;
  std::map<uint64_t, std::unique_ptr<Check>> checks_;
  uint64_t next_check_id_ = 1;
  struct Counters {
    uint64_t resolved = 0;       // next hops handed to the worker
    uint64_t solicited = 0;      // neighbours the kernel was asked to resolve
    uint64_t unroutable = 0;     // addresses with no route out of one of our ports
    uint64_t resolve_errors = 0; // netlink failures
    uint64_t resolver_warnings_suppressed = 0;
    uint64_t steering_errors = 0;
    uint64_t checks = 0, checks_failed = 0;
    uint64_t worker_timeouts = 0;
  } counters_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_VIRTUAL_SERVICE_H_
