// SPDX-License-Identifier: BSD-3-Clause
// ConnectionTable: the Double-NAT connections of seed 004 (§4.1, Fig. 6). Each connection
// sits in two hash buckets at once: IN, keyed by what the client sends (cip, cport → vip,
// vport), and OUT, keyed by what its backend sends back (bip, bport → vip, vdport). The
// worker knows the direction from dip:dport before it looks (a vport is IN, a vdport is
// OUT), so every packet costs one lookup in one bucket chain.
//
// Bounded: `capacity` connections in arrays allocated at Create; a new one when full is
// refused and counted, so a flood never pushes out what is established. Expiry: every
// state has a fixed timeout (LVS-like defaults below), so the connections of one state
// expire in the order they were last touched; each state keeps a FIFO, and Expire pops
// the heads that are due — O(1) a connection, no scan of the table.
//
// Hashing: seeded per table (absl::Hash), so clients cannot aim their addresses at one
// chain. Pure: no clock (time comes in as ns), no allocation after Create.
#ifndef DMPD_USERSPACE_VS_CONNECTION_TABLE_H_
#define DMPD_USERSPACE_VS_CONNECTION_TABLE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dmpd::vs {

// What a packet carries of a flow, in one direction; host order.
struct FlowKey {
  uint32_t src_addr = 0;
  uint32_t dst_addr = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t proto = 0;
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& k) {
    return H::combine(std::move(h), k.src_addr, k.dst_addr, k.src_port, k.dst_port, k.proto);
  }
};

// TCP states enough for timeouts (LVS's), and UDP's one.
enum class ConnState : uint8_t { kSynRecv, kEstablished, kFinWait, kClose, kUdp, kCount };
std::string_view ConnStateName(ConnState s);

// Seconds, as LVS's defaults (ipvsadm: tcp 900, tcpfin 120, udp 300; SYN_RECV 60,
// CLOSE 10).
struct ConnTimeouts {
  uint32_t syn_recv_s = 60;
  uint32_t established_s = 900;
  uint32_t fin_wait_s = 120;
  uint32_t close_s = 10;
  uint32_t udp_s = 300;
  uint64_t NanosFor(ConnState s) const;
  friend bool operator==(const ConnTimeouts&, const ConnTimeouts&) = default;
};

struct Connection {
  FlowKey in;   // client → vip:vport
  FlowKey out;  // backend → vip:vdport (the reply's direction)
  uint32_t service = 0;
  uint32_t backend = 0;
  ConnState state = ConnState::kSynRecv;
  uint64_t expires_ns = 0;
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
};

class ConnectionTable {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFF;

  struct Options {
    uint32_t capacity = 1 << 20;  // connections
    ConnTimeouts timeouts;
  };
  static absl::StatusOr<ConnectionTable> Create(const Options& options);

  // The connection a client packet (IN) or a backend's reply (OUT) belongs to; kNone.
  uint32_t FindIn(const FlowKey& in) const { return Find(in, kIn); }
  uint32_t FindOut(const FlowKey& out) const { return Find(out, kOut); }

  // Adds a connection in both buckets, in `state`, due `now` + its timeout. kNone when the
  // table is full (counted refused_full) or either key is already there (refused_duplicate).
  uint32_t Insert(const FlowKey& in, const FlowKey& out, uint32_t service, uint32_t backend,
                  ConnState state, uint64_t now_ns);

  // A packet of connection `id` in `state` (the same or a new one): due again `now` + the
  // state's timeout.
  void Touch(uint32_t id, ConnState state, uint64_t now_ns);

  // Removes every connection due by `now`, oldest first, after `on_expired` saw it (to give
  // its vdport back and count its backend down); at most `limit` of them, so one call
  // stays short. Returns how many.
  size_t Expire(uint64_t now_ns, const std::function<void(const Connection&)>& on_expired,
                size_t limit = SIZE_MAX);
  // Removes one connection now (a service or backend removed with force).
  void Remove(uint32_t id);

  // Takes connection `id` out of the IN bucket only: its client key goes to a new
  // connection, while the entry keeps its OUT key (and with it the vdport toward its
  // backend) until it expires. A retired connection is no longer found by FindIn.
  void RetireClientKey(uint32_t id);
  bool retired(uint32_t id) const { return !slots_[id].in_linked; }

  const Connection& at(uint32_t id) const { return slots_[id].conn; }
  Connection& at(uint32_t id) { return slots_[id].conn; }
  uint32_t size() const { return size_; }
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t count_in(ConnState s) const { return fifo_[static_cast<size_t>(s)].count; }

  uint64_t inserted() const { return inserted_; }
  uint64_t refused_full() const { return refused_full_; }
  uint64_t refused_duplicate() const { return refused_duplicate_; }
  uint64_t expired() const { return expired_; }

 private:
  enum Dir { kIn = 0, kOut = 1 };
  struct Links {
    uint32_t prev = kNone;
    uint32_t next = kNone;
  };
  struct Slot {
    Connection conn;
    std::array<Links, 2> bucket;  // IN and OUT chains
    Links timer;                  // the state's FIFO (free list when unused)
    bool used = false;
    bool in_linked = false;  // in the IN bucket (false once retired)
  };
  struct Fifo {
    uint32_t head = kNone;
    uint32_t tail = kNone;
    uint32_t count = 0;
  };

  explicit ConnectionTable(const Options& options);
  uint32_t BucketOf(const FlowKey& k) const;
  uint32_t Find(const FlowKey& k, Dir d) const;
  void LinkBucket(uint32_t id, Dir d);
  void UnlinkBucket(uint32_t id, Dir d);
  void PushTimer(uint32_t id, ConnState s);
  void UnlinkTimer(uint32_t id, ConnState s);
  void Free(uint32_t id);

  ConnTimeouts timeouts_;
  std::vector<Slot> slots_;
  std::array<std::vector<uint32_t>, 2> heads_;  // bucket heads, per direction
  uint32_t bucket_mask_ = 0;
  size_t seed_ = 0;
  uint32_t free_head_ = kNone;
  std::array<Fifo, static_cast<size_t>(ConnState::kCount)> fifo_{};
  uint32_t size_ = 0;
  uint64_t inserted_ = 0;
  uint64_t refused_full_ = 0;
  uint64_t refused_duplicate_ = 0;
  uint64_t expired_ = 0;
};

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_CONNECTION_TABLE_H_
