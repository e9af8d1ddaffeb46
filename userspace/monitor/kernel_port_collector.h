// SPDX-License-Identifier: BSD-3-Clause
// The kernel's view of a port (MON-2; seed 003): /sys/class/net/IF/{statistics/*,
// operstate, carrier, speed, mtu} below a configurable sysfs root, and ring/channel sizes
// through a LinkParamsReader. Our ports stay kernel interfaces: the kernel counts what the
// XDP program passed to it (and, on drivers such as veth, every frame).
#ifndef DMPD_USERSPACE_MONITOR_KERNEL_PORT_COLLECTOR_H_
#define DMPD_USERSPACE_MONITOR_KERNEL_PORT_COLLECTOR_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "userspace/monitor/counter_block.h"
#include "userspace/monitor/link_params_reader.h"

namespace dmpd::monitor {

struct KernelPortView {
  bool present = false;                  // the interface exists in our namespace
  std::optional<std::string> operstate;  // "up", "down", "lowerlayerdown", "unknown"…
  std::optional<bool> carrier;           // reading fails on a down interface: nullopt
  std::optional<uint64_t> speed_mbps;    // veth: EINVAL; virtio: -1; both not available
  std::optional<uint32_t> mtu_bytes;
  KernelCounterBlock counters;  // totals as read; rates filled by the caller
  std::optional<RingSizes> rings;
  std::optional<ChannelCounts> channels;

  // Up for traffic: operstate "up", or "unknown" (drivers without operstate) with carrier.
  bool up() const;
};

class KernelPortCollector {
 public:
  // `link_params` may be null (no ring/channel sizes); it is not owned.
  KernelPortCollector(std::filesystem::path sysfs_root, LinkParamsReader* link_params)
      : sysfs_root_(std::move(sysfs_root)), link_params_(link_params) {}

  // Never fails: what cannot be read is not available.
  KernelPortView Read(std::string_view ifname) const;

 private:
  std::filesystem::path sysfs_root_;
  LinkParamsReader* link_params_;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_KERNEL_PORT_COLLECTOR_H_
