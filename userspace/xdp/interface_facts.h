// SPDX-License-Identifier: BSD-3-Clause
// Whether an interface can be a dmpd port, decided before the PMD touches it (DP-4): DMPD
// is Ethernet, a node is told apart by its port's unicast MAC (and XDP filters on it,
// DP-3), and loopback carries nothing from other nodes. And after the PMD attached: in
// which XDP mode, since generic (skb) mode copies every frame after the kernel has
// allocated an skb for it and is refused unless the operator allows it.
#ifndef DMPD_USERSPACE_XDP_INTERFACE_FACTS_H_
#define DMPD_USERSPACE_XDP_INTERFACE_FACTS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userspace/xdp/xdp_attachment.h"

namespace dmpd {

struct InterfaceFacts {
  std::string name;
  unsigned flags = 0;            // IFF_*
  uint16_t hw_type = 0;          // ARPHRD_*
  std::array<uint8_t, 6> mac{};  // wire order
  uint32_t mtu = 0;
};

// Reads flags, hardware type, address and MTU of `ifname` in this network namespace.
absl::StatusOr<InterfaceFacts> ReadInterfaceFacts(const std::string& ifname);

// The largest MTU among `ifnames` (0 if none can be read; those are skipped: opening them
// as ports says why).
uint32_t LargestMtu(const std::vector<std::string>& ifnames);

// The IPv4 addresses of every interface in this network namespace, host order.
absl::StatusOr<std::vector<uint32_t>> LocalIpv4Addresses();

// OK for an Ethernet interface with a unicast MAC that is not loopback; otherwise an error
// naming the interface, what is wrong, and what to do.
absl::Status CheckPortInterface(const InterfaceFacts& facts);

// OK for native (or offloaded) XDP, and for generic mode if `allow_generic`; otherwise an
// error naming the interface and how to allow generic mode.
absl::Status CheckXdpMode(const std::string& ifname, XdpMode mode, bool allow_generic);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_INTERFACE_FACTS_H_
