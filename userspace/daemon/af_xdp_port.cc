// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/af_xdp_port.h"

#include <net/if.h>
#include <algorithm>
#include <vector>
#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/frame_writer.h"
#include "userspace/daemon/dense_mempool.h"
#include "userspace/daemon/log.h"
#include "userspace/daemon/umem_frame_room.h"
#include "userspace/daemon/xsk_sockets.h"
#include "userspace/xdp/bpffs.h"
#include "userspace/xdp/interface_facts.h"

namespace dmpd {
namespace {

constexpr uint16_t kRxDescriptors = 4096;  // absorbs a worker descheduled for ~40 ms at 100k frames/s
constexpr uint16_t kTxDescriptors = 1024;

absl::Status DpdkError(int rc, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", rte_strerror(rc < 0 ? -rc : rc)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AfXdpPort>> AfXdpPort::Open(const PortOptions& options) {
  int ifindex = static_cast<int>(if_nametoindex(options.ifname.c_str()));
  if (ifindex == 0) {
    return absl::NotFoundError(
        absl::StrCat("no interface ", options.ifname, " in this network namespace"));
  }
  // Before anything is created for it: no lock file, pin or PMD for a refused interface.
  auto facts = ReadInterfaceFacts(options.ifname);
  if (!facts.ok()) return facts.status();
  if (absl::Status s = CheckPortInterface(*facts); !s.ok()) return s;
  auto lock = InterfaceLock::Acquire(options.lock_dir, options.ifname);
  if (!lock.ok()) return lock.status();
  std::unique_ptr<AfXdpPort> port(new AfXdpPort(options, ifindex, *std::move(lock)));
  port->mtu_ = facts->mtu;
  port->mbuf_size_ = SizeMbufsForMtu(std::max(facts->mtu, options.largest_port_mtu),
                                     DenseMbufPoolOverheads());
  if (facts->mtu + kFrameOverMtu > port->mbuf_size_.frame_capacity) {
    Log(LogLevel::kWarning, "port",
        absl::StrCat(options.ifname, ": MTU ", facts->mtu, " is more than the af_xdp PMD can "
                     "receive here (frames up to ", port->mbuf_size_.frame_capacity,
                     " B, an MTU of ", port->mbuf_size_.max_mtu,
                     "): DMPD's frames are unaffected, longer virtual-service packets are "
                     "dropped by the kernel and counted in xsk.rx_dropped"));
  }
  if (facts->mtu < kDefaultMtu) {
    Log(LogLevel::kWarning, "port",
        absl::StrCat(options.ifname, ": MTU ", facts->mtu, " is below ", kDefaultMtu,
                     ": pipes and the cluster send DMPD frames of up to ", kDefaultMtu,
                     " B after the Ethernet header, and the receiving interfaces drop the "
                     "longer ones"));
  }
  if (absl::Status s = EnsurePinDir(options.pin_dir); !s.ok()) return s;
  if (absl::Status s = port->CheckExistingProgram(); !s.ok()) return s;
  if (absl::Status s = port->StartPmd(); !s.ok()) return s;
  if (absl::Status s = port->AdoptProgram(); !s.ok()) return s;
  return port;
}

absl::Status AfXdpPort::CheckExistingProgram() {
  auto attached = QueryAttachedProgram(ifindex_);
  if (!attached.ok()) return attached.status();
  if (!attached->has_value()) return CarryOverCounters(nullptr);  // pins may outlive it
  const AttachedProgram& prog = **attached;
  if (!IsSteerProgram(prog)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to attach to ", options_.ifname, ": XDP program '", prog.name, "' (id ",
        prog.id, ", ", XdpModeName(prog.mode),
        ") is attached and is not dmpd's; it was left in place. Remove it yourself if it is "
        "not needed (`xdp-loader unload ",
        options_.ifname, " --all` or `ip link set dev ", options_.ifname, " xdp off`)"));
  }
  // Ours, and we hold the interface lock, so its daemon is gone: a crash left it.
  Log(LogLevel::kWarning, "port",
      absl::StrCat(options_.ifname, ": replacing stale dmpd_steer program id ", prog.id,
                   " left by a previous run"));
  // Its counters first: it kept counting (no_socket drops) while no daemon ran.
  if (absl::Status s = CarryOverCounters(&prog); !s.ok()) return s;
  return DetachProgram(ifindex_, prog);
}

absl::Status AfXdpPort::CarryOverCounters(const AttachedProgram* stale) {
  auto leftover = ReadLeftoverCounters(options_.pin_dir, stale);
  if (!leftover.ok()) return leftover.status();
  if (leftover->sources.empty()) return absl::OkStatus();
  carried_ = leftover->counters;
  Log(LogLevel::kInfo, "port",
      absl::StrCat(options_.ifname, ": carried over the previous run's XDP counters (",
                   FormatNonZeroCounters(carried_), ") from ",
                   absl::StrJoin(leftover->sources, ", ")));
  return absl::OkStatus();
}

absl::Status AfXdpPort::StartPmd() {
  vdev_name_ = absl::StrCat("net_af_xdp_", options_.ifname);
  auto pool = CreateDenseMbufPool(absl::StrCat("mb_", options_.ifname), options_.mbufs,
                                  static_cast<uint16_t>(mbuf_size_.data_room));
  if (!pool.ok()) return pool.status();
  pool_ = *pool;
  // The PMD registers each object as a UMEM chunk: what the kernel can write into one is
  // only what SizeMbufsForMtu reckoned if the objects are laid out as it assumes.
  const uint32_t chunk = pool_->header_size + pool_->elt_size + pool_->trailer_size;
  if (chunk != DenseMbufPoolOverheads().before_data_room + mbuf_size_.data_room) {
    return absl::InternalError(absl::StrCat(options_.ifname, ": mbuf objects of ", chunk,
                                            " B, expected ", DenseMbufPoolOverheads().before_data_room,
                                            " + ", mbuf_size_.data_room));
  }

  // busy_budget=0: no recvfrom() syscall on every empty poll; we sleep in epoll instead.
  std::string args = absl::StrCat("iface=", options_.ifname,
                                  ",start_queue=0,queue_count=1,busy_budget=0,xdp_prog=",
                                  options_.bpf_object_path);
  const std::vector<int> sockets_before = FindXskFds();
  if (int rc = rte_vdev_init(vdev_name_.c_str(), args.c_str()); rc != 0) {
    return DpdkError(rc, absl::StrCat(options_.ifname, ": starting the af_xdp PMD"));
  }
  vdev_created_ = true;
  if (int rc = rte_eth_dev_get_port_by_name(vdev_name_.c_str(), &port_id_); rc != 0) {
    return DpdkError(rc, absl::StrCat(options_.ifname, ": finding the PMD port"));
  }
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(port_id_, 1, 1, &conf); rc != 0) {
    return DpdkError(rc, absl::StrCat(options_.ifname, ": configuring the port"));
  }
  if (int rc = rte_eth_rx_queue_setup(port_id_, 0, kRxDescriptors, SOCKET_ID_ANY, nullptr,
                                      pool_);
      rc != 0) {
    return DpdkError(rc, absl::StrCat(options_.ifname, ": setting up the rx queue"));
  }
  if (int rc = rte_eth_tx_queue_setup(port_id_, 0, kTxDescriptors, SOCKET_ID_ANY, nullptr);
      rc != 0) {
    return DpdkError(rc, absl::StrCat(options_.ifname, ": setting up the tx queue"));
  }
  if (int rc = rte_eth_dev_start(port_id_); rc != 0) {
    return DpdkError(rc, absl::StrCat(options_.ifname, ": starting the port"));
  }
  for (int fd : FindXskFds()) {
    if (std::find(sockets_before.begin(), sockets_before.end(), fd) == sockets_before.end()) {
      xsk_fd_ = fd;
    }
  }
  rte_ether_addr addr{};
  rte_eth_macaddr_get(port_id_, &addr);
  std::copy(std::begin(addr.addr_bytes), std::end(addr.addr_bytes), mac_.begin());
  return absl::OkStatus();
}

absl::Status AfXdpPort::AdoptProgram() {
  auto attached = QueryAttachedProgram(ifindex_);
  if (!attached.ok()) return attached.status();
  if (!attached->has_value() || !IsSteerProgram(**attached)) {
    return absl::InternalError(
        absl::StrCat(options_.ifname, ": the PMD started but dmpd_steer is not attached"));
  }
  program_ = **attached;
  // The PMD attaches with no mode flag, so the kernel chose; refused here, the destructor
  // detaches it again.
  if (absl::Status s = CheckXdpMode(options_.ifname, program_.mode, options_.allow_generic_xdp);
      !s.ok()) {
    return s;
  }
  auto maps = SteerMaps::Open(program_);
  if (!maps.ok()) return maps.status();
  maps_.emplace(*std::move(maps));
  maps_->SetCarriedOver(carried_);
  if (absl::Status s = maps_->Configure(options_.steer, mac_); !s.ok()) return s;
  return maps_->Pin(options_.pin_dir);
}

AfXdpPort::~AfXdpPort() {
  if (maps_) maps_->Unpin();
  if (port_id_ != UINT16_MAX) {
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);  // the PMD detaches the program it attached
  }
  if (vdev_created_) rte_vdev_uninit(vdev_name_.c_str());
  // Made by EnsurePinDir even if we failed before pinning; kept if anything is in it (a
  // crashed run's pins that we did not get to replace still hold its counters).
  ::rmdir(options_.pin_dir.c_str());
  if (pool_ != nullptr) rte_mempool_free(pool_);
  // Never leave our program behind, even if the PMD did not remove it (REL-3).
  auto attached = QueryAttachedProgram(ifindex_);
  if (attached.ok() && attached->has_value() && IsSteerProgram(**attached)) {
    if (absl::Status s = DetachProgram(ifindex_, **attached); !s.ok()) {
      Log(LogLevel::kError, "port", absl::StrCat(options_.ifname, ": ", s.message()));
    }
  }
}

}  // namespace dmpd
