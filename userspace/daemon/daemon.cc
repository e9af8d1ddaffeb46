// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/daemon.h"

#include <poll.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/byte_order.h"
#include "userspace/daemon/log.h"
#include "userspace/daemon/xsk_sockets.h"
#include "userspace/monitor/link_params_reader.h"
#include "userspace/monitor/monitor_views.h"

namespace dmpd {
namespace {

constexpr unsigned kRingSize = 1024;
constexpr size_t kMinFrameLen = 60;  // Ethernet minimum without FCS
// The longest the control loop sleeps: it also wakes for control frames (the worker's
// eventfd), the control socket and signals, so this only bounds timer slack.
constexpr uint64_t kMaxControlWaitMs = 1000;
// A neighbour unheard for this many hello intervals is forgotten.
constexpr uint64_t kNeighbourTimeoutIntervals = 5;

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

absl::StatusOr<rte_ring*> MakeRing(const std::string& name, unsigned flags) {
  rte_ring* r = rte_ring_create(name.c_str(), kRingSize, SOCKET_ID_ANY, flags);
  if (r == nullptr) return absl::ResourceExhaustedError(absl::StrCat("creating ring ", name));
  return r;
}

void FreeRing(rte_ring* ring) {
  if (ring == nullptr) return;
  void* m;
  while (rte_ring_dequeue(ring, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  rte_ring_free(ring);
}

}  // namespace

Daemon::Daemon(const DaemonConfig& config) : config_(config), neighbours_(config.interfaces.size()) {}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Create(const DaemonConfig& config) {
  std::unique_ptr<Daemon> d(new Daemon(config));
  if (absl::Status s = d->Start(); !s.ok()) return s;
  return d;
}

absl::Status Daemon::Start() {
  started_ns_ = NowNs();
  started_wall_ = absl::Now();
  auto object = SteerObjectFile::Create();
  if (!object.ok()) return object.status();
  bpf_object_.emplace(*std::move(object));

  // The control socket first: a second daemon with the same socket stops here, before it
  // touches any interface.
  auto control = ControlServer::Listen(config_.control_socket);
  if (!control.ok()) return control.status();
  control_ = *std::move(control);

  for (size_t i = 0; i < config_.interfaces.size(); ++i) {
    const std::string& ifname = config_.interfaces[i];
    PortOptions opts{.ifname = ifname,
                     .bpf_object_path = bpf_object_->path(),
                     .pin_dir = absl::StrCat(config_.bpf_pin_dir, "/", ifname),
                     .lock_dir = config_.lock_dir,
                     .mbufs = config_.mbufs_per_port,
                     .steer = {.ethertype = config_.ethertype,
                               .cluster_id = config_.cluster_id,
                               .filter_other_clusters = config_.filter_other_clusters,
                               .local_node = config_.node,
                               .accept_foreign_unicast = config_.accept_foreign_unicast},
                     .allow_generic_xdp = config_.allow_generic_xdp};
    auto port = AfXdpPort::Open(opts);
    if (!port.ok()) return port.status();
    ports_.push_back(*std::move(port));
    counters_.push_back(std::make_unique<PortCounters>());
    auto ring = MakeRing(absl::StrCat("tx_", ifname), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ring.ok()) return ring.status();
    tx_rings_.push_back(*ring);
    hello_sequence_.push_back(0);
    const AfXdpPort& p = *ports_.back();
    Log(LogLevel::kInfo, "port",
        absl::StrCat(ifname, ": up, mac ", FormatMac(p.mac()), ", XDP ", p.program().name, " id ",
                     p.program().id, " (", XdpModeName(p.program().mode), "), maps pinned at ",
                     p.pin_dir()));
  }
  // The public ring: one producer (the worker), one consumer (this lcore).
  auto ring = MakeRing("control", RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!ring.ok()) return ring.status();
  control_ring_ = *ring;
  wake_fd_.Reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  control_frames_fd_.Reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd_.valid() || !control_frames_fd_.valid()) {
    return absl::ErrnoToStatus(errno, "eventfd");
  }

  for (size_t i = 0; i < ports_.size(); ++i) {
    worker_.ports.push_back({ports_[i]->port_id(), tx_rings_[i], counters_[i].get()});
  }
  worker_.control_ring = control_ring_;
  worker_.classifier = {config_.ethertype, config_.cluster_id, config_.node};
  for (const auto& p : ports_) {
    if (p->xsk_fd() >= 0) worker_.xsk_fds.push_back(p->xsk_fd());
  }
  worker_.wake_eventfd = wake_fd_.get();
  worker_.control_eventfd = control_frames_fd_.get();
  worker_.idle_polls_before_sleep = config_.idle_polls_before_sleep;
  worker_.idle_sleep_max_us = config_.idle_sleep_max_us;
  if (worker_.xsk_fds.size() != ports_.size()) {
    Log(LogLevel::kWarning, "worker",
        absl::StrCat("identified ", worker_.xsk_fds.size(), " AF_XDP sockets for ",
                     ports_.size(), " ports; idle sleeps will rely on their timeout"));
  }
  if (absl::Status s = StartMonitoring(); !s.ok()) return s;
  worker_lcore_ = rte_get_next_lcore(-1, 1, 0);
  if (worker_lcore_ >= RTE_MAX_LCORE) {
    return absl::FailedPreconditionError("no worker lcore: give the EAL at least two lcores");
  }
  if (int rc = rte_eal_remote_launch(WorkerMain, &worker_, worker_lcore_); rc != 0) {
    return absl::InternalError("launching the worker lcore failed");
  }
  worker_running_ = true;
  Log(LogLevel::kInfo, "daemon",
      absl::StrCat("node ", config_.node, " cluster ", config_.cluster_id, " serving ",
                   ports_.size(), " ports; control socket ", config_.control_socket));
  return absl::OkStatus();
}

absl::Time Daemon::MonitorClock() const {
  return started_wall_ + absl::Nanoseconds(NowNs() - started_ns_);
}

absl::Status Daemon::StartMonitoring() {
  monitor::MonitorConfig mc;
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
  if (config_.metrics_port == 0) return absl::OkStatus();
  auto server = monitor::MetricsHttpServer::Start(
      {.address = config_.metrics_address, .port = config_.metrics_port}, *monitor_);
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("metrics_listen ", config_.metrics_address, ":",
                                     config_.metrics_port, ": ", server.status().message()));
  }
  metrics_ = *std::move(server);
  Log(LogLevel::kInfo, "monitor", absl::StrCat("metrics at ", metrics_->url()));
  return absl::OkStatus();
}

// Gathers what only the daemon can read (PMD, XDP map, lcores) and runs one sample of the
// monitoring model. On the main lcore; the worker never waits for it.
void Daemon::SampleMonitor() {
  monitor::SampleInputs in;
  for (size_t i = 0; i < ports_.size(); ++i) {
    const AfXdpPort& p = *ports_[i];
    monitor::PortInput port;
    port.name = p.ifname();
    rte_eth_stats st{};
    if (rte_eth_stats_get(p.port_id(), &st) == 0) {
      monitor::PmdStats pmd{.rx_packets = st.ipackets,
                            .tx_packets = st.opackets,
                            .rx_bytes = st.ibytes,
                            .tx_bytes = st.obytes,
                            .imissed = st.imissed,
                            .ierrors = st.ierrors,
                            .oerrors = st.oerrors,
                            .rx_nombuf = st.rx_nombuf,
                            .xstats = {}};
      int n = rte_eth_xstats_get(p.port_id(), nullptr, 0);
      if (n > 0) {
        std::vector<rte_eth_xstat> values(static_cast<size_t>(n));
        std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
        if (rte_eth_xstats_get(p.port_id(), values.data(), n) == n &&
            rte_eth_xstats_get_names(p.port_id(), names.data(), n) == n) {
          for (const rte_eth_xstat& v : values) {
            if (v.id < names.size()) pmd.xstats.emplace_back(names[v.id].name, v.value);
          }
        }
      }
      port.queues.push_back(std::move(pmd));
    }
    if (auto xdp = p.maps().ReadCounters(); xdp.ok()) port.xdp = *xdp;
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(p.port_id(), &link) == 0) port.pmd_link_up = link.link_status != 0;
    if (config_.port_bandwidth_mbps > 0) {
      port.configured_bandwidth_bits_per_second = static_cast<double>(config_.port_bandwidth_mbps) * 1e6;
    }
    in.ports.push_back(std::move(port));
  }
  uint64_t frames = 0;
  for (const auto& c : counters_) frames += c->rx_frames.Get() + c->tx_frames.Get();
  const uint64_t polls = worker_.stats.polls.Get();
  const uint64_t empty = worker_.stats.empty_polls.Get();
  in.lcores.push_back({.lcore_id = worker_lcore_,
                       .role = "worker",
                       .packets = frames,
                       .empty_polls = empty,
                       .busy_polls = polls - std::min(polls, empty)});
  monitor_->Sample(MonitorClock(), in);
}

Daemon::~Daemon() {
  metrics_.reset();  // stop serving before what it reads goes away
  if (worker_running_) {
    worker_.stop.store(true, std::memory_order_relaxed);
    uint64_t one = 1;
    (void)!write(wake_fd_.get(), &one, sizeof(one));
    rte_eal_wait_lcore(worker_lcore_);
  }
  FreeRing(control_ring_);
  for (rte_ring* r : tx_rings_) FreeRing(r);
  ports_.clear();  // each port returns its interface to the kernel and unpins its maps
  ::rmdir(config_.bpf_pin_dir.c_str());  // only if empty: never remove what others pinned
  control_.reset();
}

void Daemon::SendHellos() {
  bool queued = false;
  for (size_t i = 0; i < ports_.size(); ++i) {
    const AfXdpPort& port = *ports_[i];
    rte_mbuf* m = rte_pktmbuf_alloc(port.pool());
    if (m == nullptr) continue;  // pool exhausted; the next interval tries again
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kMinFrameLen));
    memset(p, 0, kMinFrameLen);
    memset(p, 0xff, 6);  // broadcast: every port on the LAN hears it (CLU-3)
    memcpy(p + 6, port.mac().data(), 6);
    StoreBe16(p + 12, config_.ethertype);
    FrameHeader h{.kind = DMPD_KIND_HELLO,
                  .cluster_id = config_.cluster_id,
                  .sender_node = config_.node,
                  .sender_port = static_cast<uint16_t>(i),
                  .sequence = hello_sequence_[i]++};
    (void)EncodeFrameHeader(h, std::span(p + kEthHeaderLen, kMinFrameLen - kEthHeaderLen));
    if (rte_ring_enqueue(tx_rings_[i], m) != 0) {
      rte_pktmbuf_free(m);
      continue;
    }
    queued = true;
  }
  if (queued) {
    uint64_t one = 1;
    (void)!write(wake_fd_.get(), &one, sizeof(one));
  }
}

void Daemon::DrainControlRing(uint64_t now_ns) {
  rte_mbuf* pkts[32];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(control_ring_, reinterpret_cast<void**>(pkts), 32,
                                     nullptr)) > 0) {
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      auto it = std::find_if(ports_.begin(), ports_.end(),
                             [&](const auto& p) { return p->port_id() == m->port; });
      std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
      // The public ring carries bare mbufs, so the header is decoded again here: 20 bytes
      // per control frame, cheaper than a side channel for the worker's result.
      Classification cls = ClassifyFrame(frame, worker_.classifier);
      if (it != ports_.end() && cls.cls == FrameClass::kControl) {
        size_t index = static_cast<size_t>(it - ports_.begin());
        const FrameHeader& h = cls.frame.header;
        if (h.kind == DMPD_KIND_HELLO) {
          MacAddress src{};
          std::copy_n(frame.data() + 6, 6, src.begin());
          neighbours_.RecordHello(index, h.sender_node, h.sender_port, src, h.sequence, now_ns);
          counters_[index]->hellos_received.Add();
        } else {
          counters_[index]->unknown_kind.Add();
        }
      }
      rte_pktmbuf_free(m);
    }
  }
}

absl::Status Daemon::Run(int signal_fd) {
  const uint64_t interval_ns = uint64_t{config_.hello_interval_ms} * 1000000;
  uint64_t next_hello = NowNs();
  while (true) {
    uint64_t now = NowNs();
    if (now >= next_hello) {
      SendHellos();
      next_hello += interval_ns;
      if (next_hello < now) next_hello = now + interval_ns;  // we fell behind: skip
    }
    DrainControlRing(now);
    neighbours_.Expire(now, kNeighbourTimeoutIntervals * interval_ns);
    if (const absl::Time t = MonitorClock(); t >= monitor_->NextSampleDue(t)) SampleMonitor();

    const absl::Time clock = MonitorClock();
    const uint64_t until_sample_ms = static_cast<uint64_t>(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(monitor_->NextSampleDue(clock) - clock)));
    const int wait_ms = static_cast<int>(
        std::min({(next_hello - now) / 1000000 + 1, until_sample_ms + 1, kMaxControlWaitMs}));
    pollfd fds[3] = {{.fd = signal_fd, .events = POLLIN, .revents = 0},
                     {.fd = control_->fd(), .events = POLLIN, .revents = 0},
                     {.fd = control_frames_fd_.get(), .events = POLLIN, .revents = 0}};
    if (poll(fds, 3, wait_ms) < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "poll");
    if (fds[2].revents & POLLIN) {
      uint64_t n;
      (void)!read(control_frames_fd_.get(), &n, sizeof(n));  // rearm; the ring has them
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      (void)!read(signal_fd, &info, sizeof(info));
      Log(LogLevel::kInfo, "daemon", absl::StrCat("signal ", info.ssi_signo, ": shutting down"));
      return absl::OkStatus();
    }
    if (fds[1].revents & POLLIN) {
      control_->ServeOne([this](absl::string_view cmd) { return HandleCommand(cmd); });
    }
  }
}

std::string Daemon::HandleCommand(absl::string_view command) {
  if (command == "status") return Status(NowNs()).dump();
  auto sample = monitor_->Latest();
  if ((command == "node" || command == "ports" || absl::StartsWith(command, "history")) &&
      sample == nullptr) {
    return nlohmann::json{{"error", "no monitoring sample yet; try again in a second"}}.dump();
  }
  if (command == "node") return monitor::NodeView(*sample).dump();
  if (command == "ports") return monitor::PortsView(*sample).dump();
  if (absl::ConsumePrefix(&command, "history ")) {
    std::string port(absl::StripAsciiWhitespace(command));
    auto history = monitor_->PortHistory(port);
    if (!history.ok()) {
      return nlohmann::json{{"error", std::string(history.status().message())}}.dump();
    }
    return monitor::PortHistoryView(*sample, port, *history).dump();
  }
  return nlohmann::json{{"error", absl::StrCat("unknown command '", command, "'")}}.dump();
}

nlohmann::json Daemon::Status(uint64_t now_ns) {
  using nlohmann::json;
  json ports = json::array();
  for (size_t i = 0; i < ports_.size(); ++i) {
    const AfXdpPort& p = *ports_[i];
    const PortCounters& c = *counters_[i];
    rte_eth_stats st{};
    rte_eth_stats_get(p.port_id(), &st);
    json xdp = json::object();
    if (auto xc = p.maps().ReadCounters(); xc.ok()) {
#define DMPD_JSON_COUNTER(name, desc) xdp[#name] = xc->name;
      DMPD_STEER_COUNTERS(DMPD_JSON_COUNTER)
#undef DMPD_JSON_COUNTER
    }
    // The kernel's view of the same interface, read now (not from the last sample) so
    // that it lines up with the PMD and XDP columns beside it.
    const monitor::KernelPortView k = kernel_ports_.Read(p.ifname());
    json kernel = json::object();
    for (size_t c = 0; c < monitor::kKernelCounters.size(); ++c) {
      const auto& total = k.counters.total[c];
      kernel[std::string(monitor::kKernelCounters[c].key)] = total ? json(*total) : json(nullptr);
    }
    // Frames the XDP program redirected but the socket lost (kernel XDP_STATISTICS).
    json xsk = json::object();
    if (p.xsk_fd() >= 0) {
      if (auto xs = ReadXskStatistics(p.xsk_fd())) {
        xsk = {{"rx_dropped", xs->rx_dropped},
               {"rx_ring_full", xs->rx_ring_full},
               {"rx_fill_ring_empty", xs->rx_fill_ring_empty_descs},
               {"rx_invalid_descs", xs->rx_invalid_descs},
               {"tx_invalid_descs", xs->tx_invalid_descs},
               {"tx_ring_empty", xs->tx_ring_empty_descs}};
      }
    }
    json rejected = json::object();
    for (size_t e = 0; e < kDecodeErrorCount; ++e) {
      auto error = static_cast<DecodeError>(e);
      if (error == DecodeError::kNotDmpd) continue;  // counted as not_dmpd
      rejected[std::string(DecodeErrorName(error))] = c.rejected[e].Get();
    }
    rejected["unknown_kind"] = c.unknown_kind.Get();
    json neighbours = json::array();
    for (const Neighbour& n : neighbours_.On(i)) {
      neighbours.push_back({{"node", n.node},
                            {"port", n.port},
                            {"mac", FormatMac(n.mac)},
                            {"hellos", n.hellos},
                            {"last_sequence", n.last_sequence},
                            {"last_seen_ms_ago", (now_ns - n.last_seen_ns) / 1000000}});
    }
    ports.push_back({
        {"index", i},
        {"interface", p.ifname()},
        {"ifindex", p.ifindex()},
        {"queue", p.queue()},
        {"mac", FormatMac(p.mac())},
        {"link", k.operstate.value_or("unknown")},
        {"xdp_mode", XdpModeName(p.program().mode)},
        {"xdp_prog_id", p.program().id},
        {"pin_dir", p.pin_dir()},
        {"hellos_sent", c.hellos_sent.Get()},
        {"pmd",
         {{"rx_packets", st.ipackets},
          {"rx_bytes", st.ibytes},
          {"tx_packets", st.opackets},
          {"tx_bytes", st.obytes},
          {"imissed", st.imissed},
          {"rx_errors", st.ierrors},
          {"tx_errors", st.oerrors},
          {"rx_nombuf", st.rx_nombuf}}},
        {"xdp", xdp},
        {"xdp_carried_over", CountersByName(p.xdp_carried_over())},
        {"xsk", xsk},
        {"kernel", kernel},
        {"daemon",
         {{"rx_frames", c.rx_frames.Get()},
          {"control_frames", c.control_frames.Get()},
          {"hellos_received", c.hellos_received.Get()},
          {"data_frames", c.data_frames.Get()},
          {"own_frames", c.own_frames.Get()},
          {"not_dmpd", c.not_dmpd.Get()},
          {"control_ring_full", c.control_ring_full.Get()},
          {"tx_frames", c.tx_frames.Get()},
          {"tx_dropped", c.tx_dropped.Get()},
          {"rejected", rejected}}},
        {"neighbours", neighbours},
    });
  }
  return {
      {"node", config_.node},
      {"cluster_id", config_.cluster_id},
      {"pid", getpid()},
      {"version", DMPD_VERSION},
      {"ethertype", absl::StrFormat("0x%04x", config_.ethertype)},
      {"hello_interval_ms", config_.hello_interval_ms},
      {"uptime_ms", (now_ns - started_ns_) / 1000000},
      {"pin_dir", config_.bpf_pin_dir},
      {"metrics_url", metrics_ ? json(metrics_->url()) : json(nullptr)},
      {"worker",
       {{"polls", worker_.stats.polls.Get()},
        {"empty_polls", worker_.stats.empty_polls.Get()},
        {"sleeps", worker_.stats.sleeps.Get()},
        {"sleeps_on_sockets", worker_.sleeps_on_sockets.load(std::memory_order_relaxed)}}},
      {"ports", ports},
  };
}

}  // namespace dmpd
