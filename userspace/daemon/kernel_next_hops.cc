// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/kernel_next_hops.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dmpd {
namespace {

// A stuck kernel (or a reply lost to a full socket buffer) must not hang the daemon.
constexpr time_t kReplyTimeoutSeconds = 1;
// Route and neighbour replies are a few hundred bytes; MSG_TRUNC tells if one ever is not.
constexpr size_t kReceiveBufferBytes = size_t{16} * 1024;
constexpr uint16_t kAcknowledgementOnly = NLMSG_ERROR;

// States in which the entry's MAC is what the kernel itself sends to (its NUD_VALID, which
// is not in the uapi headers). STALE, DELAY and PROBE carry the last MAC while the kernel
// re-confirms it.
constexpr uint16_t kUsableStates =
    NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

// Owners other than the kernel's ARP: an entry learned by a control plane (EVPN, a
// routing daemon), validated externally (NDA_FLAGS_EXT bit 2, Linux 6.16, not yet in every
// uapi header), or managed, which the kernel keeps resolved by itself.
constexpr uint8_t kOwnedFlags = NTF_EXT_LEARNED;
constexpr uint32_t kExtExtValidated = 1u << 2;  // NTF_EXT_EXT_VALIDATED
constexpr uint32_t kOwnedExtFlags = NTF_EXT_MANAGED | kExtExtValidated;

std::string FormatIpv4(uint32_t host_order) {
  return absl::StrFormat("%u.%u.%u.%u", host_order >> 24, (host_order >> 16) & 0xff,
                         (host_order >> 8) & 0xff, host_order & 0xff);
}

// A request: the netlink header, the family's fixed header, then attributes, each padded
// to 4 bytes as NLMSG_ALIGN and RTA_ALIGN want. The sequence number is set by Exchange.
template <typename Body>
std::vector<uint8_t> NewRequest(uint16_t type, uint16_t flags, const Body& body) {
  std::vector<uint8_t> message(NLMSG_SPACE(sizeof(Body)), 0);
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(message.size());
  header.nlmsg_type = type;
  header.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  std::memcpy(message.data(), &header, sizeof(header));
  std::memcpy(message.data() + NLMSG_HDRLEN, &body, sizeof(body));
  return message;
}

void AddAttribute(std::vector<uint8_t>& message, uint16_t type, const void* data, uint16_t length) {
  const size_t at = message.size();  // already aligned: every part is padded
  message.resize(at + RTA_SPACE(length), 0);
  rtattr attribute{};
  attribute.rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
  attribute.rta_type = type;
  std::memcpy(message.data() + at, &attribute, sizeof(attribute));
  std::memcpy(message.data() + at + RTA_LENGTH(0), data, length);
  const uint32_t total = static_cast<uint32_t>(message.size());
  std::memcpy(message.data() + offsetof(nlmsghdr, nlmsg_len), &total, sizeof(total));
}

// Calls visit(type, payload, payload_length) for each attribute in `length` bytes from
// `first` (4-aligned, as the kernel lays them out); false when one does not fit.
template <typename Visit>
bool ForEachAttribute(const uint8_t* first, size_t length, Visit visit) {
  int left = static_cast<int>(length);
  for (auto* a = reinterpret_cast<const rtattr*>(first); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    visit(a->rta_type & NLA_TYPE_MASK, static_cast<const uint8_t*>(RTA_DATA(a)),
          static_cast<size_t>(RTA_PAYLOAD(a)));
  }
  // RTA_NEXT leaves the padding of the last attribute (or nothing) when all were whole.
  return left < static_cast<int>(sizeof(rtattr));
}

bool ReadU32(const uint8_t* payload, size_t length, uint32_t& out) {
  if (length != sizeof(uint32_t)) return false;
  std::memcpy(&out, payload, sizeof(out));
  return true;
}

}  // namespace

const char* NextHopStateName(NextHop::State state) {
  switch (state) {
    case NextHop::State::kResolved:
      return "resolved";
    case NextHop::State::kIncomplete:
      return "incomplete";
    case NextHop::State::kNoRoute:
      return "no-route";
    case NextHop::State::kNotOnLink:
      return "not-on-link";
  }
  return "?";
}

// The kernel's answer to one request: an errno from NLMSG_ERROR (0 for an acknowledgement),
// or the payload (family header and attributes) of a message of the expected type.
struct KernelNextHops::Reply {
  int error = 0;
  std::string error_message;  // the kernel's extended acknowledgement, when it gave one
  std::vector<uint8_t> payload;
};

struct KernelNextHops::Neighbour {
  bool exists = false;
  uint16_t state = NUD_NONE;
  uint8_t flags = 0;       // NTF_*
  uint32_t ext_flags = 0;  // NTF_EXT_* (NDA_FLAGS_EXT)
  bool has_mac = false;
  MacAddress mac{};
};

KernelNextHops::KernelNextHops(UniqueFd fd, uint32_t port_id)
    : fd_(std::move(fd)), port_id_(port_id), receive_buffer_(kReceiveBufferBytes) {}

absl::StatusOr<KernelNextHops> KernelNextHops::Open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "opening a NETLINK_ROUTE socket");
  const timeval timeout{.tv_sec = kReplyTimeoutSeconds, .tv_usec = 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) != 0) {
    return absl::ErrnoToStatus(errno, "setting the rtnetlink socket's timeouts");
  }
  // Best effort, as iproute2 does: the kernel's reason for a refusal as text (EXT_ACK),
  // refusals without a copy of our request (CAP_ACK), and requests checked strictly
  // (GET_STRICT_CHK, Linux 4.20) so that a mistake of ours is refused rather than
  // half-understood. The requests are valid without them.
  const int one = 1;
  for (int option : {NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK}) {
    (void)::setsockopt(fd.get(), SOL_NETLINK, option, &one, sizeof(one));
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    return absl::ErrnoToStatus(errno, "binding the rtnetlink socket");
  }
  socklen_t local_length = sizeof(local);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
      local_length != sizeof(local)) {
    return absl::ErrnoToStatus(errno, "reading the rtnetlink socket's address");
  }
  return KernelNextHops(std::move(fd), local.nl_pid);
}

absl::StatusOr<KernelNextHops::Reply> KernelNextHops::Exchange(std::vector<uint8_t>& request,
                                                               uint16_t reply_type) {
  if (!fd_.valid()) return absl::FailedPreconditionError("KernelNextHops used after a move");
  const uint32_t sequence = ++sequence_;
  std::memcpy(request.data() + offsetof(nlmsghdr, nlmsg_seq), &sequence, sizeof(sequence));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), request.data(), request.size(), 0,
                    reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return absl::ErrnoToStatus(errno, "sending a rtnetlink request");
  if (static_cast<size_t>(sent) != request.size()) {
    return absl::InternalError(
        absl::StrFormat("rtnetlink took %d of %u bytes of a request", sent, request.size()));
  }

  // Earlier requests that timed out may still have answers queued: those are skipped by
  // their sequence number, so each call waits for its own.
  for (;;) {
    sockaddr_nl from{};
    socklen_t from_length = sizeof(from);
    const ssize_t received =
        ::recvfrom(fd_.get(), receive_buffer_.data(), receive_buffer_.size(), MSG_TRUNC,
                   reinterpret_cast<sockaddr*>(&from), &from_length);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the kernel did not answer a rtnetlink request within ", kReplyTimeoutSeconds, " s"));
      }
      return absl::ErrnoToStatus(errno, "receiving a rtnetlink reply");
    }
    if (static_cast<size_t>(received) > receive_buffer_.size()) {
      return absl::InternalError(absl::StrFormat("a rtnetlink reply of %d bytes did not fit in %u",
                                                 received, receive_buffer_.size()));
    }
    if (from_length != sizeof(from) || from.nl_pid != 0) continue;  // not from the kernel

    int left = static_cast<int>(received);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(receive_buffer_.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != sequence || h->nlmsg_pid != port_id_) continue;
      if (h->nlmsg_type == NLMSG_NOOP) continue;
      const auto* body = static_cast<const uint8_t*>(NLMSG_DATA(h));
      Reply reply;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
          return absl::InternalError("a truncated rtnetlink error message");
        }
        nlmsgerr error;
        std::memcpy(&error, body, sizeof(error));
        reply.error = -error.error;
        if ((h->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
          // The attributes follow our request's header, and its body unless capped.
          size_t offset = NLMSG_ALIGN(sizeof(nlmsgerr));
          if ((h->nlmsg_flags & NLM_F_CAPPED) == 0 && error.msg.nlmsg_len >= NLMSG_HDRLEN) {
            offset += NLMSG_ALIGN(error.msg.nlmsg_len - NLMSG_HDRLEN);
          }
          const size_t body_length = h->nlmsg_len - NLMSG_HDRLEN;
          if (offset < body_length) {
            ForEachAttribute(body + offset, body_length - offset,
                             [&](uint16_t type, const uint8_t* payload, size_t length) {
                               if (type != NLMSGERR_ATTR_MSG || length == 0) return;
                               reply.error_message.assign(
                                   reinterpret_cast<const char*>(payload),
                                   strnlen(reinterpret_cast<const char*>(payload), length));
                             });
          }
        }
        return reply;
      }
      if (h->nlmsg_type != reply_type) {
        return absl::InternalError(absl::StrFormat(
            "rtnetlink answered with message type %u, not %u", h->nlmsg_type, reply_type));
      }
      reply.payload.assign(body, body + (h->nlmsg_len - NLMSG_HDRLEN));
      return reply;
    }
    if (left >= static_cast<int>(NLMSG_HDRLEN)) {
      return absl::InternalError("a malformed rtnetlink reply (a message overruns it)");
    }
  }
}

absl::StatusOr<KernelNextHops::Neighbour> KernelNextHops::GetNeighbour(int ifindex, uint32_t addr) {
  // One entry by (ifindex, address), as `ip neigh get` (Linux 5.0); the kernel checks
  // this request strictly: state, flags and type must be 0, and NDA_DST the only attribute.
  ndmsg query{};
  query.ndm_family = AF_INET;
  query.ndm_ifindex = ifindex;
  std::vector<uint8_t> request = NewRequest(RTM_GETNEIGH, 0, query);
  const uint32_t addr_be = htonl(addr);
  AddAttribute(request, NDA_DST, &addr_be, sizeof(addr_be));
  absl::StatusOr<Reply> reply = Exchange(request, RTM_NEWNEIGH);
  if (!reply.ok()) return reply.status();
  Neighbour neighbour;
  if (reply->error == ENOENT) return neighbour;
  if (reply->error != 0) {
    return absl::ErrnoToStatus(reply->error,
                               absl::StrCat("reading the kernel's neighbour ", FormatIpv4(addr),
                                            " on ifindex ", ifindex, ": ", reply->error_message));
  }
  if (reply->payload.size() < sizeof(ndmsg)) {
    return absl::InternalError("a neighbour reply shorter than its header");
  }
  ndmsg header;
  std::memcpy(&header, reply->payload.data(), sizeof(header));
  neighbour.exists = true;
  neighbour.state = header.ndm_state;
  neighbour.flags = header.ndm_flags;
  const size_t at = NLMSG_ALIGN(sizeof(ndmsg));
  bool values_ok = true;
  const bool attributes_ok =
      at <= reply->payload.size() &&
      ForEachAttribute(reply->payload.data() + at, reply->payload.size() - at,
                       [&](uint16_t type, const uint8_t* payload, size_t length) {
                         if (type == NDA_LLADDR && length == neighbour.mac.size()) {
                           std::copy_n(payload, neighbour.mac.size(), neighbour.mac.begin());
                           neighbour.has_mac = true;
                         } else if (type == NDA_FLAGS_EXT) {
                           values_ok = ReadU32(payload, length, neighbour.ext_flags) && values_ok;
                         }
                       });
  if (!attributes_ok || !values_ok) return absl::InternalError("a malformed neighbour reply");
  return neighbour;
}

absl::StatusOr<NextHop> KernelNextHops::Lookup(uint32_t dst) {
  // The output route the kernel itself would use (RTM_GETROUTE with a /32 destination is
  // `ip route get`): policy rules, multipath choice and all. No source, mark or uid: the
  // data path's packets are not the kernel's, so rules keyed on those are not ours.
  rtmsg query{};
  query.rtm_family = AF_INET;
  query.rtm_dst_len = 32;
  std::vector<uint8_t> request = NewRequest(RTM_GETROUTE, 0, query);
  const uint32_t dst_be = htonl(dst);
  AddAttribute(request, RTA_DST, &dst_be, sizeof(dst_be));
  absl::StatusOr<Reply> reply = Exchange(request, RTM_NEWROUTE);
  if (!reply.ok()) return reply.status();

  NextHop hop;
  hop.via = dst;
  if (reply->error != 0) {
    switch (reply->error) {
      // No route, or a `throw` route (ENETUNREACH); an `unreachable` route (EHOSTUNREACH).
      case ENETUNREACH:
      case EHOSTUNREACH:
      case ENOENT:
        hop.state = NextHop::State::kNoRoute;
        return hop;
      // A `blackhole` route answers EINVAL and a `prohibit` route EACCES (fib_props[]), with
      // no text; a request the kernel finds wrong comes with its reason, and is an error.
      case EINVAL:
      case EACCES:
        if (reply->error_message.empty()) {
          hop.state = NextHop::State::kNoRoute;
          return hop;
        }
        break;
      default:
        break;
    }
    return absl::ErrnoToStatus(
        reply->error, absl::StrCat("asking the kernel for the route to ", FormatIpv4(dst), ": ",
                                   reply->error_message));
  }
  if (reply->payload.size() < sizeof(rtmsg)) {
    return absl::InternalError("a route reply shorter than its header");
  }
  rtmsg route;
  std::memcpy(&route, reply->payload.data(), sizeof(route));
  uint32_t oif = 0;
  uint32_t gateway_be = 0;
  bool via_ipv6 = false;
  bool values_ok = true;
  const size_t at = NLMSG_ALIGN(sizeof(rtmsg));
  const bool attributes_ok =
      route.rtm_family == AF_INET && at <= reply->payload.size() &&
      ForEachAttribute(reply->payload.data() + at, reply->payload.size() - at,
                       [&](uint16_t type, const uint8_t* payload, size_t length) {
                         if (type == RTA_OIF) {
                           values_ok = ReadU32(payload, length, oif) && values_ok;
                         } else if (type == RTA_GATEWAY) {
                           values_ok = ReadU32(payload, length, gateway_be) && values_ok;
                         } else if (type == RTA_VIA) {
                           via_ipv6 = true;
                         }
                       });
  if (!attributes_ok || !values_ok) return absl::InternalError("a malformed route reply");
  hop.ifindex = static_cast<int>(oif);

  switch (route.rtm_type) {
    case RTN_UNICAST:
      break;
    // Routes that end here or fan out: nothing for the data path to forward to.
    case RTN_LOCAL:
    case RTN_BROADCAST:
    case RTN_MULTICAST:
    case RTN_ANYCAST:
      hop.state = NextHop::State::kNotOnLink;
      return hop;
    // Blackhole, unreachable, prohibit, throw (when a kernel reports them rather than
    // refusing), and the long-gone NAT and XRESOLVE.
    default:
      hop.state = NextHop::State::kNoRoute;
      return hop;
  }
  if (via_ipv6) {
    return absl::UnimplementedError(
        absl::StrCat("the route to ", FormatIpv4(dst),
                     " goes via an IPv6 next hop (RFC 5549), which the data path does not "
                     "support; give it an IPv4 gateway"));
  }
  if (oif == 0) {
    return absl::InternalError(
        absl::StrCat("the kernel's unicast route to ", FormatIpv4(dst), " names no interface"));
  }
  if (gateway_be != 0) hop.via = ntohl(gateway_be);

  absl::StatusOr<Neighbour> neighbour = GetNeighbour(hop.ifindex, hop.via);
  if (!neighbour.ok()) return neighbour.status();
  hop.nud_state = neighbour->state;
  if (neighbour->exists && (neighbour->state & kUsableStates) != 0 && neighbour->has_mac) {
    hop.state = NextHop::State::kResolved;
    hop.mac = neighbour->mac;
  } else {
    hop.state = NextHop::State::kIncomplete;
  }
  return hop;
}

// How: RTM_NEWNEIGH with ndm_flags = NTF_USE, which makes the kernel call
// neigh_event_send() on the entry, as if a packet of its own were waiting: an absent, NONE
// or FAILED entry becomes INCOMPLETE and the kernel broadcasts ARP requests; a STALE one
// goes to DELAY and is re-confirmed by unicast. We send nothing ourselves, and the answer
// lands in the table where the kernel's own traffic finds it too.
//
// What NTF_USE must not see (checked on 6.18, net/core/neighbour.c neigh_add() and
// __neigh_update(), and with `ip neigh replace ADDR dev DEV use nud none`): since Linux 5.16
// NTF_USE goes through __neigh_update() as an administrative change, which clears
// NUD_PERMANENT (a permanent entry lost its MAC: PERMANENT -> INCOMPLETE -> FAILED) and
// resets the owner flags we do not repeat (an `extern_learn` entry lost NTF_EXT_LEARNED).
// So the entry is read first, and only an absent, NONE, FAILED or STALE entry that nobody
// else owns is touched; REACHABLE, DELAY, PROBE and INCOMPLETE are resolved or being
// resolved already (NTF_USE would be a no-op), NOARP has nothing to resolve.
//
// Flags: ndm_state NUD_NONE, because a state with NUD_PERMANENT (iproute2's default) would
// create the entry exempt from garbage collection. An absent entry is created with
// NLM_F_CREATE | NLM_F_EXCL, so one made in the meantime (say, `ip neigh add ... permanent`)
// is refused with EEXIST rather than demoted; an existing one is updated without
// NLM_F_CREATE, and between our read and our request (microseconds) an administrator
// turning it permanent would see it demoted: the kernel has no conditional NTF_USE.
// NLM_F_REPLACE only matters for a new MAC, which we never give.
absl::Status KernelNextHops::Solicit(int ifindex, uint32_t addr) {
  if (ifindex <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no interface (ifindex ", ifindex, ") to resolve ", FormatIpv4(addr), " on"));
  }
  absl::StatusOr<Neighbour> neighbour = GetNeighbour(ifindex, addr);
  if (!neighbour.ok()) return neighbour.status();
  uint16_t flags = NLM_F_ACK;
  if (neighbour->exists) {
    const bool owned =
        (neighbour->flags & kOwnedFlags) != 0 || (neighbour->ext_flags & kOwnedExtFlags) != 0;
    const bool wants_resolution =
        neighbour->state == NUD_NONE || (neighbour->state & (NUD_FAILED | NUD_STALE)) != 0;
    if (owned || !wants_resolution) return absl::OkStatus();
  } else {
    flags |= NLM_F_CREATE | NLM_F_EXCL;
  }

  ndmsg use{};
  use.ndm_family = AF_INET;
  use.ndm_ifindex = ifindex;
  use.ndm_state = NUD_NONE;
  use.ndm_flags = NTF_USE;
  std::vector<uint8_t> request = NewRequest(RTM_NEWNEIGH, flags, use);
  const uint32_t addr_be = htonl(addr);
  AddAttribute(request, NDA_DST, &addr_be, sizeof(addr_be));
  absl::StatusOr<Reply> reply = Exchange(request, kAcknowledgementOnly);
  if (!reply.ok()) return reply.status();
  if (reply->error == 0 || reply->error == EEXIST) return absl::OkStatus();
  std::string hint;
  if (reply->error == EPERM) hint = " (changing the neighbour table needs CAP_NET_ADMIN)";
  return absl::ErrnoToStatus(
      reply->error, absl::StrCat("asking the kernel to resolve ", FormatIpv4(addr), " on ifindex ",
                                 ifindex, ": ", reply->error_message, hint));
}

}  // namespace dmpd
