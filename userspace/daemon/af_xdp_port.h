// SPDX-License-Identifier: BSD-3-Clause
// AfXdpPort: one kernel interface served by DPDK's af_xdp PMD with our steering program.
// Opening it refuses interfaces that cannot be ports (loopback, no unicast Ethernet MAC),
// checks what is already attached (replacing a stale dmpd program after carrying its
// counters over, refusing a foreign one), sizes its mbufs for the interface's MTU, brings
// the PMD port up, refuses generic XDP unless allowed, configures and pins the program's
// maps. The destructor undoes all of it: the interface is left as the kernel's alone
// (REL-3).
#ifndef DMPD_USERSPACE_DAEMON_AF_XDP_PORT_H_
#define DMPD_USERSPACE_DAEMON_AF_XDP_PORT_H_

#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "userspace/daemon/neighbour_table.h"
#include "userspace/daemon/umem_frame_room.h"
#include "userspace/xdp/interface_lock.h"
#include "userspace/xdp/steer_maps.h"
#include "userspace/xdp/xdp_attachment.h"

namespace dmpd {

struct PortOptions {
  std::string ifname;
  std::string bpf_object_path;  // the dmpd_steer object the PMD loads
  std::string pin_dir;          // this port's pins: <bpf_pin_dir>/<ifname>
  std::string lock_dir;
  unsigned mbufs = 4096;
  // The largest MTU among the node's ports. Every port's mbufs are sized for it: the
  // worker forwards a frame received on one port out of another, and the PMD copies a
  // foreign pool's mbuf into one of its own with no length check.
  uint32_t largest_port_mtu = 0;
  SteerSettings steer;
  // Generic (skb) XDP is refused unless allowed: a driver without native XDP.
  bool allow_generic_xdp = false;
};

class AfXdpPort {
 public:
  static absl::StatusOr<std::unique_ptr<AfXdpPort>> Open(const PortOptions& options);
  ~AfXdpPort();
  AfXdpPort(const AfXdpPort&) = delete;
  AfXdpPort& operator=(const AfXdpPort&) = delete;

  const std::string& ifname() const { return options_.ifname; }
  int ifindex() const { return ifindex_; }
  uint16_t port_id() const { return port_id_; }
  uint16_t queue() const { return 0; }
  const MacAddress& mac() const { return mac_; }
  rte_mempool* pool() const { return pool_; }
  // The interface's MTU when the port opened, and the mbufs sized for it (umem_frame_room.h).
  uint32_t mtu() const { return mtu_; }
  const MbufSize& mbuf_size() const { return mbuf_size_; }
  const AttachedProgram& program() const { return program_; }
  const SteerMaps& maps() const { return *maps_; }
  // What the previous run's program counted after that run died (zero if none): already
  // included in maps().ReadCounters(), shown apart so an operator sees where it came from.
  const dmpd_steer_counters& xdp_carried_over() const { return maps_->carried_over(); }
  const std::string& pin_dir() const { return options_.pin_dir; }
  // The AF_XDP socket the PMD opened for queue 0 (-1 if it could not be identified).
  int xsk_fd() const { return xsk_fd_; }

 private:
  AfXdpPort(PortOptions options, int ifindex, InterfaceLock lock)
      : options_(std::move(options)), ifindex_(ifindex), lock_(std::move(lock)) {}
  absl::Status CheckExistingProgram();
  absl::Status CarryOverCounters(const AttachedProgram* stale);
  absl::Status StartPmd();
  absl::Status AdoptProgram();

  PortOptions options_;
  int ifindex_;
  InterfaceLock lock_;
  std::string vdev_name_;
  rte_mempool* pool_ = nullptr;
  bool vdev_created_ = false;
  uint16_t port_id_ = UINT16_MAX;
  MacAddress mac_{};
  uint32_t mtu_ = 0;
  MbufSize mbuf_size_;
  int xsk_fd_ = -1;
  AttachedProgram program_;
  dmpd_steer_counters carried_{};
  std::optional<SteerMaps> maps_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_AF_XDP_PORT_H_
