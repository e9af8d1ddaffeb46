// SPDX-License-Identifier: BSD-3-Clause
// KernelNextHops: the kernel's answer to "where does an IPv4 packet to X go next, and what
// is that next hop's MAC", asked over rtnetlink (a raw NETLINK_ROUTE socket). The virtual
// service's worker rewrites a packet's destination and must address the frame to the next
// hop and send it out of the right port; those MACs come from the kernel's routing and
// neighbour tables, never from configuration, and an unresolved neighbour is resolved by the
// kernel (Solicit), so ARP stays the kernel's business.
//
// Each call is one or two synchronous request/reply exchanges (tens of microseconds): never
// on the per-packet path. The caller keeps the answers and asks again on its own schedule.
// Not thread-safe: one instance per thread.
#ifndef DMPD_USERSPACE_DAEMON_KERNEL_NEXT_HOPS_H_
#define DMPD_USERSPACE_DAEMON_KERNEL_NEXT_HOPS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mac_address.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

struct NextHop {
  enum class State : uint8_t {
    kResolved,    // a unicast route and a neighbour entry with a MAC: send to `mac`
    kIncomplete,  // a unicast route, but no usable MAC yet: Solicit(ifindex, via), ask again
    kNoRoute,     // no route, or one that refuses (unreachable, blackhole, prohibit, throw)
    kNotOnLink,   // a route that leaves through no neighbour: local, broadcast, multicast,
                  // anycast; the data path must not forward there
  };
  State state = State::kNoRoute;
  int ifindex = 0;   // the route's output interface (0 when the kernel names none)
  uint32_t via = 0;  // host order: the gateway, or the destination itself when on-link
  MacAddress mac{};  // wire order; valid when kResolved
  // The neighbour entry's NUD_* state (<linux/neighbour.h>) for diagnostics; NUD_NONE (0)
  // also when the kernel has no entry at all.
  uint16_t nud_state = 0;
};

// "resolved", "incomplete", "no-route", "not-on-link".
const char* NextHopStateName(NextHop::State state);

class KernelNextHops {
 public:
  // A socket in the caller's network namespace.
  static absl::StatusOr<KernelNextHops> Open();

  // The kernel's output route for `dst` (host order; RTM_GETROUTE, as `ip route get`), then
  // the neighbour (ifindex, via) (RTM_GETNEIGH for one entry, as `ip neigh get`). kResolved
  // when the neighbour is REACHABLE, STALE, DELAY, PROBE, PERMANENT or NOARP with a 6-byte
  // link-layer address (STALE and DELAY still carry a MAC the kernel itself would use while
  // it re-confirms it); kIncomplete when the entry is absent, NONE, INCOMPLETE or FAILED.
  // An error only when the exchange itself fails (no answer in 1 s, a malformed reply, an
  // unexpected errno).
  absl::StatusOr<NextHop> Lookup(uint32_t dst);

  // Asks the kernel to resolve (ifindex, addr) now without sending traffic ourselves; the
  // answer shows up in a later Lookup. Leaves alone entries it must not touch (see the .cc):
  // permanent, NOARP, externally learned or validated, kernel-managed, and those already
  // resolved or being resolved. OK also when nothing needed doing.
  absl::Status Solicit(int ifindex, uint32_t addr);

  KernelNextHops(KernelNextHops&&) = default;
  KernelNextHops& operator=(KernelNextHops&&) = default;

 private:
  struct Reply;
  struct Neighbour;

  KernelNextHops(UniqueFd fd, uint32_t port_id);

  // Sends `request` (a complete message; its sequence number is set here) and waits for
  // the kernel's answer to it: a message of `reply_type` or an NLMSG_ERROR.
  absl::StatusOr<Reply> Exchange(std::vector<uint8_t>& request, uint16_t reply_type);
  absl::StatusOr<Neighbour> GetNeighbour(int ifindex, uint32_t addr);

  UniqueFd fd_;
  uint32_t port_id_ = 0;  // our netlink address, which the kernel's replies carry
  uint32_t sequence_ = 0;
  std::vector<uint8_t> receive_buffer_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_KERNEL_NEXT_HOPS_H_
