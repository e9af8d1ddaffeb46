// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/daemon.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "userspace/cli/version.h"
#include "userspace/cluster/cluster_commands.h"
#include "userspace/daemon/cluster_metrics.h"
#include "userspace/daemon/pipe_routes.h"
#include "userspace/daemon/cluster_key.h"
#include "userspace/daemon/data_plane_report.h"
#include "userspace/daemon/log.h"
#include "userspace/daemon/monitor_commands.h"
#include "userspace/daemon/node_view_from_sample.h"
#include "userspace/monitor/link_params_reader.h"
#include "userspace/monitor/prometheus_exposition.h"

namespace dmpd {
namespace {

using nlohmann::json;

constexpr uint64_t kMs = 1'000'000;
// How often the kernel's link state is read: a pulled cable is noticed (and logged, and
// transmits on it stopped) within this.
constexpr uint64_t kLinkPollNs = 100 * kMs;

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Create(const DaemonConfig& config,
                                                       ConfigSource reload) {
  std::unique_ptr<Daemon> d(new Daemon(config, std::move(reload)));
  if (absl::Status s = d->Start(); !s.ok()) return s;
  return d;
}

absl::Status Daemon::Start() {
  started_ns_ = clock_.MonotonicNs();
  auto loop = EventLoop::Create(clock_);
  if (!loop.ok()) return loop.status();
  loop_ = *std::move(loop);
  TimerQueue& timers = loop_->timers();
  const ConnectionLimits client_limits{.max_clients = config_.control_max_clients,
                                       .client_timeout_ns = config_.client_timeout_ms * kMs,
                                       .max_request_bytes = 64 * 1024};
  // The control socket first: a second daemon with the same socket stops here, before it
  // touches any interface.
  auto control = ControlServer::Listen(*loop_, config_.control_socket, client_limits, commands_);
  if (!control.ok()) return control.status();
  control_ = *std::move(control);

  if (!config_.cluster_key_file.empty()) {
    auto auth = LoadClusterKey(config_.cluster_key_file);
    if (!auth.ok()) return auth.status();
    auth_ = *std::move(auth);
  }
  auto object = SteerObjectFile::Create();
  if (!object.ok()) return object.status();
  bpf_object_.emplace(*std::move(object));
  auto balancer = LoadBalancing::Create(config_);
  if (!balancer.ok()) return balancer.status();
  balancer_ = *std::move(balancer);
  // Pipes' epochs start where the wall clock puts them: a daemon restarted a second or more
  // later most likely gives a reopened pipe another epoch than its last one before.
  const auto first_pipe_epoch =
      static_cast<uint8_t>(absl::ToUnixSeconds(clock_.Wall()) % 255 + 1);
  auto dp = DataPlane::Start(config_, bpf_object_->path(), balancer_->chooser(), first_pipe_epoch);
  if (!dp.ok()) return dp.status();
  data_plane_ = *std::move(dp);
  bandwidths_ = std::make_unique<PortBandwidths>(data_plane_->port_count());

  ControlChannelOptions channel{.cluster_id = config_.cluster_id,
                                .node = config_.node,
                                .ethertype = config_.ethertype,
                                .mtu = kDefaultMtu,
                                .auth = auth_.get(),
                                .epoch = static_cast<uint64_t>(absl::ToUnixMicros(clock_.Wall()))};
  channel_ = std::make_unique<ControlChannel>(channel, *data_plane_);
  ControlChannel* ch = channel_.get();
  if (absl::Status s = loop_->Watch(data_plane_->control_event_fd(), EPOLLIN,
                                    [this, ch](uint32_t) {
                                      const uint64_t now = clock_.MonotonicNs();
                                      data_plane_->DrainControl(
                                          [&](size_t port, std::span<const uint8_t> frame) {
                                            ch->Receive(port, frame, now);
                                          });
                                    });
      !s.ok()) {
    return s;
  }
  timers.Every(kLinkPollNs, kLinkPollNs, [this] { data_plane_->PollLinks(); });

  commands_.AddStatusSection([this](json& s) { ReportIdentity(s); });
  commands_.AddStatusSection(
      [this](json& s) { ReportDataPlane(*data_plane_, *channel_, kernel_ports_, s); });
  bandwidths_->Register(config_.interfaces, commands_);
  balancer_->Register(commands_);

  neighbours_ = std::make_unique<NeighbourDiscovery>(
      NeighbourDiscoveryOptions{.hello_interval_ns = config_.hello_interval_ms * kMs,
                                .timeout_intervals = 5,
                                .max_neighbours = config_.max_neighbours,
                                .name = absl::StrCat("node", config_.node)},
      *channel_, timers);
  neighbours_->Register(config_.interfaces, commands_);
  // Reassembly of segmented control messages gives up on the missing pieces in time.
  timers.Every(1000 * kMs, 1000 * kMs, [this] { channel_->Expire(clock_.MonotonicNs()); });

  if (absl::Status s = StartMonitoring(); !s.ok()) return s;
  StartCluster();
  auto pipes = PipeService::Start(config_, *loop_, *data_plane_, commands_, [this] {
    return PipeRoutes(neighbours_->table(), data_plane_->port_count(), cluster_.get(), config_.node);
  });
  if (!pipes.ok()) return pipes.status();
  pipes_ = *std::move(pipes);
  auto vs = VirtualService::Start(config_, *loop_, *data_plane_, commands_);
  if (!vs.ok()) return vs.status();
  vs_ = *std::move(vs);
  commands_.AddStatusSection([this](json& s) {
    auto stats = [](const ConnectionStats& c) {
      return json{{"clients", c.clients},     {"max_clients", c.max_clients},
                  {"accepted", c.accepted},   {"served", c.served},
                  {"evicted", c.evicted},     {"timed_out", c.timed_out},
                  {"too_large", c.too_large}, {"accept_errors", c.accept_errors}};
    };
    s["control"] = stats(control_->stats());
    s["metrics_server"] = metrics_ ? stats(metrics_->stats()) : json(nullptr);
  });
  Log(LogLevel::kInfo, "daemon",
      absl::StrCat("node ", config_.node, " cluster ", config_.cluster_id, " serving ",
                   data_plane_->port_count(), " ports; control socket ",
                   config_.control_socket,
                   auth_ ? "; control frames signed with the cluster key" : ""));
  return absl::OkStatus();
}

// MON-7 limits from the configuration: percent, 0 off.
static monitor::HealthConfig HealthLimits(const DaemonConfig& c) {
  monitor::HealthConfig h;
  auto ratio = [](uint32_t percent) {
    return percent == 0 ? std::nullopt : std::optional<double>(percent / 100.0);
  };
  h.max_loss_ratio = ratio(c.max_loss_percent);
  h.max_memory_utilisation_ratio = ratio(c.max_memory_percent);
  h.max_cpu_utilisation_ratio = ratio(c.max_cpu_percent);
  return h;
}

absl::Status Daemon::StartMonitoring() {
  monitor::MonitorConfig mc;
  mc.health = HealthLimits(config_);
  mc.interval = absl::Milliseconds(config_.sample_interval_ms);
  mc.history_length = config_.history_length;
  mc.static_info.node_num = config_.node;
  mc.static_info.node_name = absl::StrCat("node", config_.node);
  mc.static_info.configured_ports = config_.interfaces;
  mc.static_info.worker_lcores = 1;
  std::unique_ptr<monitor::LinkParamsReader> link_params;
  if (auto reader = monitor::EthtoolLinkParamsReader::Create(); reader.ok()) {
    link_params = *std::move(reader);
  } else {
    Log(LogLevel::kWarning, "monitor",
        absl::StrCat("ring and channel sizes not available: ", reader.status().message()));
  }
  auto m = monitor::NodeMonitor::Create(std::move(mc), std::move(link_params));
  if (!m.ok()) return m.status();
  monitor_ = *std::move(m);
  // Sampling on the main lcore, never on the packet path; the first sample at once.
  loop_->timers().Every(config_.sample_interval_ms * kMs, 0, [this] { Sample(); });
  RegisterMonitorCommands(*monitor_, config_.interfaces, commands_);
  if (config_.metrics_port == 0) return absl::OkStatus();
  MetricsEndpointOptions options;
  options.address = config_.metrics_address;
  options.port = config_.metrics_port;
  options.content_type = monitor::kPrometheusContentType;
  options.limits.max_clients = config_.metrics_max_clients;
  options.limits.client_timeout_ns = config_.client_timeout_ms * kMs;
  auto endpoint = MetricsEndpoint::Start(*loop_, options, [this]() -> std::optional<std::string> {
    std::shared_ptr<const monitor::NodeSample> s = monitor_->Latest();
    if (s == nullptr) return std::nullopt;
    std::string text = monitor::RenderPrometheus(*s);
    if (cluster_ != nullptr) text += RenderClusterMetrics(*cluster_, s->static_info.node_name);
    text += balancer_->RenderMetrics(s->static_info.node_name);
    if (vs_ != nullptr) text += vs_->RenderMetrics(s->static_info.node_name);
    return text;
  });
  if (!endpoint.ok()) {
    return absl::Status(endpoint.status().code(),
                        absl::StrCat("metrics_listen ", config_.metrics_address, ":",
                                     config_.metrics_port, ": ", endpoint.status().message()));
  }
  metrics_ = *std::move(endpoint);
  Log(LogLevel::kInfo, "monitor", absl::StrCat("metrics at ", metrics_->url()));
  return absl::OkStatus();
}

void Daemon::StartCluster() {
  cluster::ClusterConfig c;
  c.node = config_.node;
  c.priority = config_.priority;
  c.interval_ns = config_.cluster_interval_ms * kMs;
  c.reply_delay_ns = config_.cluster_reply_delay_ms * kMs;
  c.port_down_after = config_.port_down_after;
  c.node_failed_after = config_.node_failed_after;
  c.master_failed_after = config_.master_failed_after;
  c.preempt = config_.preempt;
  c.rejoin_hold_ns = config_.rejoin_hold_ms * kMs;
  // eq. (2) over one monitoring interval, so each sample sees a fresh window, but at least
  // 10 cycles: a port sends a few control frames a cycle, and fewer make a noisy ratio.
  c.loss_window_cycles = std::max<uint32_t>(10, config_.sample_interval_ms / config_.cluster_interval_ms);
  cluster::LocalInputs local{
      .view = [this] {
        std::shared_ptr<const monitor::NodeSample> s = monitor_->Latest();
        return s != nullptr ? NodeViewFromSample(*s) : NodeView{};
      },
      .link_up = [this](size_t port) { return data_plane_->link_up(port); },
      .event = [](const std::string& line) { Log(LogLevel::kInfo, "cluster", line); }};
  cluster_ = std::make_unique<cluster::ClusterNode>(c, *channel_, loop_->timers(), std::move(local));
  cluster::RegisterClusterCommands(*cluster_, commands_);
}

// MON-7: a failed health check names the reason the node leaves with.
static uint8_t LeaveReasonFor(const monitor::HealthVerdict& v) {
  if (v.reasons.empty()) return kShutdown;
  switch (v.reasons.front().check) {
    case monitor::HealthCheck::kLanPortsDown: return kAllPortsDown;
    case monitor::HealthCheck::kLcoreStalled: return kLcoreStalled;
    case monitor::HealthCheck::kMemoryHigh: return kMemoryLimit;
    case monitor::HealthCheck::kCpuHigh: return kCpuLimit;
    case monitor::HealthCheck::kSustainedLoss: return kSustainedLoss;
  }
  return kShutdown;
}

void Daemon::Sample() {
  monitor::SampleInputs in = CollectSampleInputs(*data_plane_, config_.port_bandwidth_mbps);
  bandwidths_->Apply(in);
  in.pipes = pipes_.get();
  if (cluster_ != nullptr) {
    for (size_t i = 0; i < in.ports.size(); ++i) in.ports[i].cluster_loss_ratio = cluster_->PortLossRatio(i);
  }
  monitor_->Sample(clock_.Wall(), in);
  std::shared_ptr<const monitor::NodeSample> s = monitor_->Latest();
  if (s != nullptr) UpdateBalancer(*s);
  if (s == nullptr || cluster_ == nullptr || !config_.leave_when_unhealthy) return;
  const bool was_left = cluster_->role() == cluster::Role::kLeft;
  cluster_->OnHealth(s->health.healthy, LeaveReasonFor(s->health));
  if (!was_left && cluster_->role() == cluster::Role::kLeft) {
    Log(LogLevel::kWarning, "cluster",
        absl::StrCat("leaving the cluster: ", std::string(LeaveReasonName(cluster_->left_reason())), " (",
                     s->health.reasons.empty() ? "" : s->health.reasons.front().detail, ")"));
  }
}

void Daemon::UpdateBalancer(const monitor::NodeSample& s) {
  std::vector<lb::PortInput> local(s.ports.size());
  for (size_t i = 0; i < local.size(); ++i) {
    local[i].port_id = static_cast<uint16_t>(i);
    local[i].mac = data_plane_->port_mac(i);
    local[i].available = data_plane_->link_up(i);
    local[i].load = s.ports[i].load.value_or(0.0);
    local[i].bandwidth_bps = s.ports[i].bandwidth_bits_per_second.value_or(0.0);
  }
  std::vector<NodeView> destinations;
  if (cluster_ != nullptr) {
    for (const auto& [node, m] : cluster_->members()) {
      if (node != config_.node && m.state != cluster::MemberState::kFailed) {
        destinations.push_back(m.view);
        destinations.back().info.id = node;  // the balancer keys destinations by it
      }
    }
  }
  balancer_->Update(local, destinations, clock_.Wall());
}

void Daemon::ReportIdentity(json& s) const {
  s["node"] = config_.node;
  s["cluster_id"] = config_.cluster_id;
  s["pid"] = getpid();
  s["version"] = kVersion;
  s["ethertype"] = absl::StrFormat("0x%04x", config_.ethertype);
  s["hello_interval_ms"] = config_.hello_interval_ms;
  s["uptime_ms"] = (clock_.MonotonicNs() - started_ns_) / kMs;
  s["pin_dir"] = config_.bpf_pin_dir;
  s["metrics_url"] = metrics_ ? json(metrics_->url()) : json(nullptr);
}

Daemon::~Daemon() {
  // Stop serving before what the handlers read goes away; the data plane goes last.
  control_.reset();
  metrics_.reset();
  if (cluster_ != nullptr && cluster_->role() != cluster::Role::kLeft) {
    cluster_->Leave(kShutdown);  // the others need not wait k cycles to notice
  }
  cluster_.reset();
  neighbours_.reset();
  channel_.reset();
  vs_.reset();  // its steering off and its ports given back while the ports are there
  if (data_plane_ != nullptr && loop_ != nullptr) loop_->Unwatch(data_plane_->control_event_fd());
  data_plane_.reset();
  balancer_.reset();  // after the worker that decides with it
  ::rmdir(config_.bpf_pin_dir.c_str());  // only if empty: never remove what others pinned
}

void Daemon::Reload() {
  if (!reload_) return;
  absl::StatusOr<DaemonConfig> next = reload_();
  if (!next.ok()) {
    Log(LogLevel::kError, "daemon",
        absl::StrCat("SIGHUP: configuration not reloaded, keeping the running one: ",
                     next.status().message()));
    return;
  }
  if (next->log_level != config_.log_level) {
    config_.log_level = next->log_level;
    SetLogLevel(config_.log_level);
  }
  if (const monitor::HealthConfig limits = HealthLimits(*next);
      monitor_ != nullptr && !(limits == monitor_->config().health)) {
    if (absl::Status s = monitor_->SetHealthConfig(limits); s.ok()) {
      config_.max_loss_percent = next->max_loss_percent;
      config_.max_memory_percent = next->max_memory_percent;
      config_.max_cpu_percent = next->max_cpu_percent;
    } else {
      Log(LogLevel::kError, "daemon", absl::StrCat("SIGHUP: health limits refused: ", s.message()));
    }
  }
  // Everything else is fixed at start: say so instead of half-applying it.
  DaemonConfig rest = *next;
  rest.log_level = config_.log_level;
  rest.max_loss_percent = config_.max_loss_percent;
  rest.max_memory_percent = config_.max_memory_percent;
  rest.max_cpu_percent = config_.max_cpu_percent;
  Log(LogLevel::kInfo, "daemon",
      rest == config_ ? "SIGHUP: configuration reloaded"
                      : "SIGHUP: log_level and health limits applied; other changed settings "
                        "need a restart and were ignored");
}

void Daemon::OnSignal(int signal_fd) {
  signalfd_siginfo info{};
  if (read(signal_fd, &info, sizeof(info)) != sizeof(info)) return;
  if (info.ssi_signo == SIGHUP) {
    Reload();
    return;
  }
  Log(LogLevel::kInfo, "daemon", absl::StrCat("signal ", info.ssi_signo, ": shutting down"));
  loop_->Stop();
}

absl::Status Daemon::Run(int signal_fd) {
  if (absl::Status s = loop_->Watch(signal_fd, EPOLLIN, [this, signal_fd](uint32_t) {
        OnSignal(signal_fd);
      });
      !s.ok()) {
    return s;
  }
  absl::Status result = loop_->Run();
  loop_->Unwatch(signal_fd);
  return result;
}

}  // namespace dmpd
