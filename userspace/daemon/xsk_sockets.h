// SPDX-License-Identifier: BSD-3-Clause
// The AF_XDP sockets the af_xdp PMD opened in this process. The PMD exposes neither their
// descriptors nor their XDP_STATISTICS (it folds only rx_dropped into imissed), yet a
// frame the XDP program redirected can still be lost at the socket (rx ring full, fill
// ring empty): we find the sockets ourselves to sleep on them and to count those losses.
#ifndef DMPD_USERSPACE_DAEMON_XSK_SOCKETS_H_
#define DMPD_USERSPACE_DAEMON_XSK_SOCKETS_H_

#include <linux/if_xdp.h>

#include <optional>
#include <vector>

namespace dmpd {

// The AF_XDP socket descriptors open in this process, ascending. AF_XDP sockets do not
// implement getsockname, so which port a socket serves is learnt by looking before and
// after the PMD opens one (AfXdpPort does).
std::vector<int> FindXskFds();

// The kernel's per-socket drop counters; nullopt if the socket cannot be read.
std::optional<xdp_statistics> ReadXskStatistics(int fd);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_XSK_SOCKETS_H_
