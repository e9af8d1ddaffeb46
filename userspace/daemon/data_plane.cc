// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/data_plane.h"

#include <net/if.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "userspace/daemon/log.h"
#include "userspace/xdp/interface_facts.h"

namespace dmpd {
namespace {

constexpr unsigned kRingSize = 1024;

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

void Signal(int eventfd) {
  uint64_t one = 1;
  (void)!write(eventfd, &one, sizeof(one));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::Start(const DaemonConfig& config,
                                                            const std::string& bpf_object_path,
                                                            pipe::PortChooser* chooser,
                                                            uint8_t first_pipe_epoch) {
  std::unique_ptr<DataPlane> dp(new DataPlane());
  if (absl::Status s = dp->Open(config, bpf_object_path, chooser, first_pipe_epoch); !s.ok()) {
    return s;
  }
  return dp;
}

absl::Status DataPlane::Open(const DaemonConfig& config, const std::string& bpf_object_path,
                             pipe::PortChooser* chooser, uint8_t first_pipe_epoch) {
  // One mbuf size for every port (PortOptions::largest_port_mtu says why).
  const uint32_t largest_mtu = LargestMtu(config.interfaces);
  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    const std::string& ifname = config.interfaces[i];
    PortOptions opts{.ifname = ifname,
                     .bpf_object_path = bpf_object_path,
                     .pin_dir = absl::StrCat(config.bpf_pin_dir, "/", ifname),
                     .lock_dir = config.lock_dir,
                     .mbufs = config.mbufs_per_port,
                     .largest_port_mtu = largest_mtu,
                     .steer = {.ethertype = config.ethertype,
                               .cluster_id = config.cluster_id,
                               .filter_other_clusters = config.filter_other_clusters,
                               .local_node = config.node,
                               .accept_foreign_unicast = config.accept_foreign_unicast},
                     .allow_generic_xdp = config.allow_generic_xdp};
    auto port = AfXdpPort::Open(opts);
    if (!port.ok()) return port.status();
    ports_.push_back(*std::move(port));
    counters_.push_back(std::make_unique<PortCounters>());
    auto ring = MakeRing(absl::StrCat("tx_", ifname), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ring.ok()) return ring.status();
    tx_rings_.push_back(*ring);
    const AfXdpPort& p = *ports_.back();
    if (port_by_dpdk_id_.size() <= p.port_id()) port_by_dpdk_id_.resize(p.port_id() + 1, SIZE_MAX);
    port_by_dpdk_id_[p.port_id()] = i;
    Log(LogLevel::kInfo, "port",
        absl::StrCat(ifname, ": up, mac ", FormatMac(p.mac()), ", XDP ", p.program().name, " id ",
                     p.program().id, " (", XdpModeName(p.program().mode), "), MTU ", p.mtu(),
                     " (frames up to ", p.mbuf_size().frame_capacity, " B), maps pinned at ",
                     p.pin_dir()));
  }
  // The public ring: one producer (the worker), one consumer (the main lcore).
  auto ring = MakeRing("control", RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!ring.ok()) return ring.status();
  control_ring_ = *ring;
  wake_fd_.Reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  control_frames_fd_.Reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  ioctl_socket_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!wake_fd_.valid() || !control_frames_fd_.valid() || !ioctl_socket_.valid()) {
    return absl::ErrnoToStatus(errno, "eventfd/socket");
  }
  for (size_t i = 0; i < ports_.size(); ++i) {
    worker_.ports.push_back({ports_[i]->port_id(), tx_rings_[i], counters_[i].get()});
    if (ports_[i]->xsk_fd() >= 0) worker_.xsk_fds.push_back(ports_[i]->xsk_fd());
  }
  // Pipes: the engine runs on the worker; the main lcore reaches it through the mailbox.
  std::vector<MbufDataPorts::Port> data_ports;
  for (size_t i = 0; i < ports_.size(); ++i) {
    data_ports.push_back({.port_id = ports_[i]->port_id(),
                          .pool = ports_[i]->pool(),
                          .mac = ports_[i]->mac(),
                          .counters = counters_[i].get()});
  }
  data_ports_ = std::make_unique<MbufDataPorts>(std::move(data_ports));
  app_doorbells_.reset(new std::atomic<int>[config.max_pipes]);
  for (uint32_t i = 0; i < config.max_pipes; ++i) app_doorbells_[i].store(-1);
  pipe::EngineOptions eo;
  eo.node = config.node;
  eo.cluster_id = config.cluster_id;
  eo.ethertype = config.ethertype;
  eo.max_pipes = config.max_pipes;
  eo.first_epoch = first_pipe_epoch;
  eo.yield_window_frames = config.pipe_yield_window;
  eo.yield_window_bytes = uint64_t{config.pipe_yield_window} * 1024;
  auto engine = pipe::PipeEngine::Create(eo, *data_ports_, [this](uint32_t slot) {
    const int fd = app_doorbells_[slot].load(std::memory_order_acquire);
    if (fd >= 0) Signal(fd);  // only when the application sleeps: not per message
  }, chooser);
  if (!engine.ok()) return engine.status();
  pipes_ = *std::move(engine);
  auto mailbox = pipe::EngineMailbox::Create();
  if (!mailbox.ok()) return mailbox.status();
  pipe_mailbox_ = *std::move(mailbox);
  vs::FrameForwarder::Options fo;
  fo.nat.vdport_first = config.vs_vdport_first;
  fo.nat.vdport_last = config.vs_vdport_last;
  fo.nat.connections.capacity = config.vs_max_connections;
  fo.nat.connections.timeouts = config.vs_timeouts;
  std::vector<MacAddress> macs;
  for (const auto& p : ports_) macs.push_back(p->mac());
  auto forwarder = vs::FrameForwarder::Create(fo, std::move(macs));
  if (!forwarder.ok()) return forwarder.status();
  vs_ = std::make_unique<VsWorker>(*std::move(forwarder), data_ports_.get());
  tasks_ = std::make_unique<WorkerTasks>(wake_fd_.get());
  worker_.vs = vs_.get();
  worker_.tasks = tasks_.get();
  worker_.pipes = pipes_.get();
  worker_.pipe_mailbox = pipe_mailbox_.get();
  worker_.data_ports = data_ports_.get();
  worker_.control_ring = control_ring_;
  worker_.classifier = {config.ethertype, config.cluster_id, config.node};
  worker_.wake_eventfd = wake_fd_.get();
  worker_.control_eventfd = control_frames_fd_.get();
  worker_.idle_polls_before_sleep = config.idle_polls_before_sleep;
  worker_.idle_yield = config.idle_yield;
  worker_.idle_sleep_max_us = config.idle_sleep_max_us;
  if (worker_.xsk_fds.size() != ports_.size()) {
    Log(LogLevel::kWarning, "worker",
        absl::StrCat("identified ", worker_.xsk_fds.size(), " AF_XDP sockets for ",
                     ports_.size(), " ports; idle sleeps will rely on their timeout"));
  }
  PollLinks();  // before the worker runs: nothing is sent on a link that is already down
  worker_lcore_ = rte_get_next_lcore(-1, 1, 0);
  if (worker_lcore_ >= RTE_MAX_LCORE) {
    return absl::FailedPreconditionError("no worker lcore: give the EAL at least two lcores");
  }
  if (rte_eal_remote_launch(WorkerMain, &worker_, worker_lcore_) != 0) {
    return absl::InternalError("launching the worker lcore failed");
  }
  worker_running_ = true;
  return absl::OkStatus();
}

DataPlane::~DataPlane() {
  if (worker_running_) {
    worker_.stop.store(true, std::memory_order_relaxed);
    Signal(wake_fd_.get());
    rte_eal_wait_lcore(worker_lcore_);
  }
  // The engine's and the held frames' mbufs go back to the ports' pools before the ports
  // close.
  pipes_.reset();
  vs_.reset();
  data_ports_.reset();
  FreeRing(control_ring_);
  for (rte_ring* r : tx_rings_) FreeRing(r);
  ports_.clear();  // each port returns its interface to the kernel and unpins its maps
}

bool DataPlane::Transmit(size_t port, std::span<const uint8_t> frame) {
  if (port >= ports_.size()) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(ports_[port]->pool());
  if (m == nullptr) return false;  // pool exhausted
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())));
  if (p == nullptr || frame.size() > UINT16_MAX) {  // longer than an mbuf holds
    rte_pktmbuf_free(m);
    return false;
  }
  memcpy(p, frame.data(), frame.size());
  if (rte_ring_enqueue(tx_rings_[port], m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  queued_ = true;
  return true;
}

double DataPlane::BufferUseRatio() const {
  uint64_t used = 0, size = 0;
  for (const auto& p : ports_) {
    used += rte_mempool_in_use_count(p->pool());
    size += p->pool()->size;
  }
  return size == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(size);
}

bool DataPlane::PostPipeCommand(const pipe::EngineCommand& c) {
  if (!pipe_mailbox_->Post(c)) return false;
  Signal(wake_fd_.get());  // the worker may be asleep
  return true;
}

void DataPlane::Flush() {
  if (!queued_) return;
  queued_ = false;
  Signal(wake_fd_.get());
}

void DataPlane::DrainControl(
    const std::function<void(size_t port, std::span<const uint8_t> frame)>& fn) {
  uint64_t events;
  (void)!read(control_frames_fd_.get(), &events, sizeof(events));  // rearm; the ring has them
  rte_mbuf* pkts[32];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(control_ring_, reinterpret_cast<void**>(pkts), 32,
                                     nullptr)) > 0) {
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      if (m->port < port_by_dpdk_id_.size() && port_by_dpdk_id_[m->port] != SIZE_MAX) {
        fn(port_by_dpdk_id_[m->port],
           std::span<const uint8_t>(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)));
      }
    }
    rte_pktmbuf_free_bulk(pkts, n);
  }
}

std::optional<bool> DataPlane::ReadLinkUp(const std::string& ifname) const {
  ifreq ifr{};
  memcpy(ifr.ifr_name, ifname.c_str(), std::min(ifname.size(), sizeof(ifr.ifr_name) - 1));
  if (ioctl(ioctl_socket_.get(), SIOCGIFFLAGS, &ifr) != 0) return std::nullopt;
  // IFF_RUNNING is the carrier: a veth whose peer is down is up but not running.
  return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

void DataPlane::PollLinks() {
  for (size_t i = 0; i < ports_.size(); ++i) {
    const std::optional<bool> up = ReadLinkUp(ports_[i]->ifname());
    if (!up) continue;  // cannot tell: keep what we had
    std::atomic<bool>& down = counters_[i]->link_down;
    if (down.load() == !*up) continue;
    down.store(!*up);
    Log(*up ? LogLevel::kInfo : LogLevel::kWarning, "port",
        absl::StrCat(ports_[i]->ifname(), ": link ", *up ? "up" : "down",
                     *up ? "" : "; frames queued for it are dropped (tx_link_down) until it is up"));
  }
}

}  // namespace dmpd
