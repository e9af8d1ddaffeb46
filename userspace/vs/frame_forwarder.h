// SPDX-License-Identifier: BSD-3-Clause
// FrameForwarder: the virtual service on the wire — an Ethernet frame in, the same frame
// translated and addressed to its next hop out (seed 004 on dmpd's fast path). It wraps
// DoubleNat (the IPv4 part) with what only a node with ports knows:
//
//   - the Ethernet header: IPv4 only (the steering program sends nothing else here);
//   - next hops: after the translation the packet goes to a backend or a client; the port
//     and MAC for that address come from the kernel's routes and neighbours, which the
//     main lcore reads (netlink) and hands over with SetNextHop. An address not known yet
//     is "wanted": recorded once for the main lcore (TakeWanted) and counted, and the frame
//     is returned as kUnresolved so that the caller may hold it and try again with
//     Address() when the answer arrives. Entries are per destination address (a client's
//     own, even behind a router), so ForgetIdle drops those no frame used for a while:
//     the table holds the clients of the last minute, not every client ever seen.
//
// Pure like DoubleNat: one owner (the worker), no locks, no clock reads, nothing allocated
// per packet (the next-hop map and the wanted list are bounded and sized at Create).
#ifndef DMPD_USERSPACE_VS_FRAME_FORWARDER_H_
#define DMPD_USERSPACE_VS_FRAME_FORWARDER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/mac_address.h"
#include "userspace/vs/double_nat.h"

namespace dmpd::vs {

inline constexpr size_t kEthernetHeaderLen = 14;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;

// Where packets to one address leave: our port and the neighbour's MAC.
struct NextHopEntry {
  uint32_t port = 0;  // index among the node's ports
  MacAddress mac{};
  friend bool operator==(const NextHopEntry&, const NextHopEntry&) = default;
};

enum class FrameVerdict : uint8_t {
  kForward,     // translated and addressed: send it on `out_port`
  kUnresolved,  // translated; its next hop is not known yet (hold it, or drop it)
  kNotOurs,     // not the service's: untouched
  kDrop,        // the service's but not forwarded (counted by DoubleNat or here)
};

// X(name, "meaning")
#define DMPD_VS_FRAME_COUNTERS(X)                                                         \
  X(not_ipv4, "frames that are not IPv4 over untagged Ethernet (dropped)")                \
  X(too_short, "frames shorter than an Ethernet header (dropped)")                        \
  X(unresolved, "translated frames whose next hop was not known yet")                     \
  X(wanted_overflow, "next hops not recorded for resolution: the wanted list was full")   \
  X(next_hop_table_full, "next hops the main lcore resolved but the table had no room")   \
  X(bad_next_hop_port, "next hops naming a port this node does not have")

struct FrameCounters {
#define DMPD_VS_FRAME_COUNTER_FIELD(name, doc) uint64_t name = 0;
  DMPD_VS_FRAME_COUNTERS(DMPD_VS_FRAME_COUNTER_FIELD)
#undef DMPD_VS_FRAME_COUNTER_FIELD
  template <class F>
  void ForEach(F&& f) const {
#define DMPD_VS_FRAME_COUNTER_VISIT(name, doc) f(#name, doc, name);
    DMPD_VS_FRAME_COUNTERS(DMPD_VS_FRAME_COUNTER_VISIT)
#undef DMPD_VS_FRAME_COUNTER_VISIT
  }
};

class FrameForwarder {
 public:
  struct Options {
    DoubleNat::Options nat;
    size_t max_next_hops = 4096;
    size_t max_wanted = 256;  // addresses waiting for the main lcore at once
  };
  // `port_macs`: each port's own MAC, the source of what leaves it.
  static absl::StatusOr<std::unique_ptr<FrameForwarder>> Create(const Options& options,
                                                                std::vector<MacAddress> port_macs);

  // One frame, translated in place. On kForward, `*out_port` is where it goes; on
  // kUnresolved, `*next_hop` is the address it waits for.
  FrameVerdict Process(std::span<uint8_t> frame, uint64_t now_ns, uint32_t* out_port,
                       uint32_t* next_hop);
  // Addresses an already translated frame to `next_hop` if it is known now (a held frame).
  bool Address(std::span<uint8_t> frame, uint32_t next_hop, uint64_t now_ns, uint32_t* out_port);

  // --- the main lcore's answers (through the worker) ----------------------------------
  // False (counted) when the table is full or the port is not ours: not recorded.
  bool SetNextHop(uint32_t addr, const NextHopEntry& entry, uint64_t now_ns);
  void ForgetNextHop(uint32_t addr);
  // Forgets the entries no frame used since `now - idle_ns`; how many.
  size_t ForgetIdle(uint64_t now_ns, uint64_t idle_ns);
  // Moves the wanted addresses into `out` (appended) and clears the list.
  void TakeWanted(std::vector<uint32_t>& out);
  size_t next_hop_count() const { return next_hops_.size(); }
  // A copy of the next-hop table, for the operators' view.
  std::vector<std::pair<uint32_t, NextHopEntry>> NextHops() const;

  DoubleNat& nat() { return *nat_; }
  const DoubleNat& nat() const { return *nat_; }
  const FrameCounters& counters() const { return counters_; }

 private:
  FrameForwarder(const Options& options, std::unique_ptr<DoubleNat> nat,
                 std::vector<MacAddress> port_macs);
  void Want(uint32_t addr);

  Options options_;
  std::unique_ptr<DoubleNat> nat_;
  std::vector<MacAddress> port_macs_;
  struct KnownHop {
    NextHopEntry entry;
    uint64_t used_ns = 0;  // set, or last used by a frame
  };
  absl::flat_hash_map<uint32_t, KnownHop> next_hops_;
  std::vector<uint32_t> wanted_;  // capacity max_wanted; short, so a scan dedups
  FrameCounters counters_;
};

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_FRAME_FORWARDER_H_
