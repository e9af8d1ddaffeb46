// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/connection_table.h"

#include <bit>
#include <tuple>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace dmpd::vs {

std::string_view ConnStateName(ConnState s) {
  switch (s) {
    case ConnState::kSynRecv: return "syn_recv";
    case ConnState::kEstablished: return "established";
    case ConnState::kFinWait: return "fin_wait";
    case ConnState::kClose: return "close";
    case ConnState::kUdp: return "udp";
    case ConnState::kCount: break;
  }
  return "unknown";
}

uint64_t ConnTimeouts::NanosFor(ConnState s) const {
  uint32_t seconds = 0;
  switch (s) {
    case ConnState::kSynRecv: seconds = syn_recv_s; break;
    case ConnState::kEstablished: seconds = established_s; break;
    case ConnState::kFinWait: seconds = fin_wait_s; break;
    case ConnState::kClose: seconds = close_s; break;
    case ConnState::kUdp: seconds = udp_s; break;
    case ConnState::kCount: break;
  }
  return uint64_t{seconds} * 1'000'000'000;
}

absl::StatusOr<ConnectionTable> ConnectionTable::Create(const Options& options) {
  if (options.capacity == 0 || options.capacity > (1u << 26)) {
    return absl::InvalidArgumentError(
        absl::StrCat("connection table capacity ", options.capacity, ": 1..", 1u << 26));
  }
  return ConnectionTable(options);
}

ConnectionTable::ConnectionTable(const Options& options)
    : timeouts_(options.timeouts), slots_(options.capacity) {
  // Twice as many buckets as connections per direction, a power of two: short chains.
  const uint32_t buckets = std::bit_ceil(2 * options.capacity);
  bucket_mask_ = buckets - 1;
  for (auto& h : heads_) h.assign(buckets, kNone);
  seed_ = reinterpret_cast<uintptr_t>(slots_.data());
  for (uint32_t i = 0; i < options.capacity; ++i) {
    slots_[i].timer.next = i + 1 < options.capacity ? i + 1 : kNone;
  }
  free_head_ = 0;
}

uint32_t ConnectionTable::BucketOf(const FlowKey& k) const {
  return static_cast<uint32_t>(absl::Hash<std::tuple<size_t, FlowKey>>{}(std::make_tuple(seed_, k))) &
         bucket_mask_;
}

uint32_t ConnectionTable::Find(const FlowKey& k, Dir d) const {
  for (uint32_t id = heads_[d][BucketOf(k)]; id != kNone; id = slots_[id].bucket[d].next) {
    const Connection& c = slots_[id].conn;
    if ((d == kIn ? c.in : c.out) == k) return id;
  }
  return kNone;
}

void ConnectionTable::LinkBucket(uint32_t id, Dir d) {
  const Connection& c = slots_[id].conn;
  uint32_t& head = heads_[d][BucketOf(d == kIn ? c.in : c.out)];
  slots_[id].bucket[d] = Links{kNone, head};
  if (head != kNone) slots_[head].bucket[d].prev = id;
  head = id;
}

void ConnectionTable::UnlinkBucket(uint32_t id, Dir d) {
  Links& l = slots_[id].bucket[d];
  if (l.prev != kNone) {
    slots_[l.prev].bucket[d].next = l.next;
  } else {
    const Connection& c = slots_[id].conn;
    heads_[d][BucketOf(d == kIn ? c.in : c.out)] = l.next;
  }
  if (l.next != kNone) slots_[l.next].bucket[d].prev = l.prev;
  l = Links{};
}

void ConnectionTable::PushTimer(uint32_t id, ConnState s) {
  Fifo& f = fifo_[static_cast<size_t>(s)];
  slots_[id].timer = Links{f.tail, kNone};
  if (f.tail != kNone) {
    slots_[f.tail].timer.next = id;
  } else {
    f.head = id;
  }
  f.tail = id;
  ++f.count;
}

void ConnectionTable::UnlinkTimer(uint32_t id, ConnState s) {
  Fifo& f = fifo_[static_cast<size_t>(s)];
  Links& l = slots_[id].timer;
  if (l.prev != kNone) slots_[l.prev].timer.next = l.next; else f.head = l.next;
  if (l.next != kNone) slots_[l.next].timer.prev = l.prev; else f.tail = l.prev;
  l = Links{};
  --f.count;
}

uint32_t ConnectionTable::Insert(const FlowKey& in, const FlowKey& out, uint32_t service,
                                 uint32_t backend, ConnState state, uint64_t now_ns) {
  if (state == ConnState::kCount) return kNone;
  if (Find(in, kIn) != kNone || Find(out, kOut) != kNone) {
    ++refused_duplicate_;
    return kNone;
  }
  if (free_head_ == kNone) {
    ++refused_full_;
    return kNone;
  }
  const uint32_t id = free_head_;
  free_head_ = slots_[id].timer.next;
  Slot& s = slots_[id];
  s.used = true;
  s.conn = Connection{in, out, service, backend, state, now_ns + timeouts_.NanosFor(state), 0, 0};
  LinkBucket(id, kIn);
  s.in_linked = true;
  LinkBucket(id, kOut);
  PushTimer(id, state);
  ++size_;
  ++inserted_;
  return id;
}

void ConnectionTable::Touch(uint32_t id, ConnState state, uint64_t now_ns) {
  if (id >= slots_.size() || !slots_[id].used || state == ConnState::kCount) return;
  Connection& c = slots_[id].conn;
  UnlinkTimer(id, c.state);
  c.state = state;
  c.expires_ns = now_ns + timeouts_.NanosFor(state);
  PushTimer(id, state);
}

void ConnectionTable::Free(uint32_t id) {
  Slot& s = slots_[id];
  if (s.in_linked) UnlinkBucket(id, kIn);
  s.in_linked = false;
  UnlinkBucket(id, kOut);
  UnlinkTimer(id, s.conn.state);
  s.used = false;
  s.timer = Links{kNone, free_head_};
  free_head_ = id;
  --size_;
}

void ConnectionTable::Remove(uint32_t id) {
  if (id < slots_.size() && slots_[id].used) Free(id);
}

void ConnectionTable::RetireClientKey(uint32_t id) {
  if (id >= slots_.size() || !slots_[id].used || !slots_[id].in_linked) return;
  UnlinkBucket(id, kIn);
  slots_[id].in_linked = false;
}

size_t ConnectionTable::Expire(uint64_t now_ns,
                               const std::function<void(const Connection&)>& on_expired,
                               size_t limit) {
  size_t n = 0;
  for (Fifo& f : fifo_) {
    while (n < limit && f.head != kNone && slots_[f.head].conn.expires_ns <= now_ns) {
      const uint32_t id = f.head;
      if (on_expired) on_expired(slots_[id].conn);
      Free(id);
      ++expired_;
      ++n;
    }
  }
  return n;
}

}  // namespace dmpd::vs
