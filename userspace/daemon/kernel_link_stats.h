// SPDX-License-Identifier: BSD-3-Clause
// The kernel's view of an interface the daemon also serves: its statistics and state from
// sysfs (/sys/class/net/IF). The daemon must see a sysfs of its own network namespace.
#ifndef DMPD_USERSPACE_DAEMON_KERNEL_LINK_STATS_H_
#define DMPD_USERSPACE_DAEMON_KERNEL_LINK_STATS_H_

#include <cstdint>
#include <optional>
#include <string>

namespace dmpd {

#define DMPD_KERNEL_LINK_COUNTERS(X) \
  X(rx_packets) X(tx_packets) X(rx_bytes) X(tx_bytes) X(rx_dropped) X(tx_dropped) \
  X(rx_errors) X(tx_errors)

struct KernelLinkStats {
  std::string operstate;  // "up", "down", ... or "unknown" if unreadable
#define DMPD_KERNEL_LINK_FIELD(name) std::optional<uint64_t> name;
  DMPD_KERNEL_LINK_COUNTERS(DMPD_KERNEL_LINK_FIELD)
#undef DMPD_KERNEL_LINK_FIELD
};

KernelLinkStats ReadKernelLinkStats(const std::string& sysfs_net_dir, const std::string& ifname);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_KERNEL_LINK_STATS_H_
