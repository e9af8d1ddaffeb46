// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/interface_facts.h"

#include "common/mac_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

absl::StatusOr<InterfaceFacts> ReadInterfaceFacts(const std::string& ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(absl::StrCat("bad interface name '", ifname, "'"));
  }
  // Any socket will do for these ioctls; a datagram one needs no privileges.
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return absl::ErrnoToStatus(errno, "socket for interface ioctls");
  InterfaceFacts facts;
  facts.name = ifname;
  ifreq req{};
  std::memcpy(req.ifr_name, ifname.data(), ifname.size());
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading the flags of ", ifname));
  }
  facts.flags = static_cast<unsigned short>(req.ifr_flags);
  if (::ioctl(sock.get(), SIOCGIFHWADDR, &req) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading the address of ", ifname));
  }
  facts.hw_type = req.ifr_hwaddr.sa_family;
  std::copy_n(reinterpret_cast<const uint8_t*>(req.ifr_hwaddr.sa_data), facts.mac.size(),
              facts.mac.begin());
  if (::ioctl(sock.get(), SIOCGIFMTU, &req) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading the MTU of ", ifname));
  }
  facts.mtu = static_cast<uint32_t>(req.ifr_mtu);
  return facts;
}

uint32_t LargestMtu(const std::vector<std::string>& ifnames) {
  uint32_t largest = 0;
  for (const std::string& ifname : ifnames) {
    if (auto facts = ReadInterfaceFacts(ifname); facts.ok()) largest = std::max(largest, facts->mtu);
  }
  return largest;
}

absl::Status CheckPortInterface(const InterfaceFacts& f) {
  const std::string mac = FormatMac(f.mac);
  if ((f.flags & IFF_LOOPBACK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing interface ", f.name,
                     ": it is a loopback interface, which no other node can "
                     "reach; list the node's LAN interfaces in --interfaces (see `ip link`)"));
  }
  if (f.hw_type != ARPHRD_ETHER) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing interface ", f.name, ": not an Ethernet interface (hardware type ", f.hw_type,
        "); DMPD is an Ethernet protocol, list Ethernet interfaces in "
        "--interfaces"));
  }
  if (std::all_of(f.mac.begin(), f.mac.end(), [](uint8_t b) { return b == 0; })) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing interface ", f.name, ": it has no MAC address (", mac,
                     "); nodes address each other's ports by MAC. Give it one (`ip link set dev ",
                     f.name, " address 02:...`) or choose another interface"));
  }
  if ((f.mac[0] & 1) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing interface ", f.name, ": its MAC address ", mac,
        " is a multicast address, not a port's own; give it a unicast one (`ip link set dev ",
        f.name, " address 02:...`)"));
  }
  return absl::OkStatus();
}

absl::Status CheckXdpMode(const std::string& ifname, XdpMode mode, bool allow_generic) {
  if (mode == XdpMode::kNative || mode == XdpMode::kOffload) return absl::OkStatus();
  if (mode == XdpMode::kGeneric) {
    if (allow_generic) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing interface ", ifname,
        ": its driver has no native XDP, so the program was "
        "attached in generic (skb) mode, where every frame is copied after the kernel built "
        "an skb for it (slow, and not what this port was sized for). It was detached. To run "
        "on this interface anyway, set allow_generic_xdp = true (--allow-generic-xdp true); "
        "`dmpdctl status` then shows xdp_mode generic"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("refusing interface ", ifname, ": the XDP program is attached in mode ",
                   XdpModeName(mode), ", expected native or generic"));
}

absl::StatusOr<std::vector<uint32_t>> LocalIpv4Addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return absl::ErrnoToStatus(errno, "getifaddrs");
  std::vector<uint32_t> out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    out.push_back(ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr));
  }
  freeifaddrs(list);
  return out;
}

}  // namespace dmpd
