// SPDX-License-Identifier: BSD-3-Clause
// DedupWindow: the receiving side of k-copy sends (PIPE-5). Per key (source node, source
// pipe) it remembers which of the last 1024 sequences behind the highest one seen arrived,
// so the first copy of a message is delivered and the others are dropped. A bounded number
// of keys; when a new key finds the table full, the least recently used key is forgotten
// (counted: a late copy for a forgotten key would be delivered a second time).
//
// Order. No reorder buffer: the receiver delivers the first copy as it comes. Order per key
// then holds when (a) every message of the key is sent on the same set of ports, one
// after the other (copies of n before copies of n+1 on every port), (b) each port is FIFO
// end to end (one tx queue, one link, one rx queue), (c) one worker consults the window in
// the order it takes frames, and (d) no copy is lost: then the first arrival of n+1, on port
// p, comes after the copy of n on p, so n was delivered before. Ports of different speeds
// do not break this. It breaks when the port set changes between n and n+1 (a port goes
// down or comes back, k changes) or when the copy of n on the faster port is lost: n+1 can
// then overtake n. Accept says so (kNewAfterGap when sequences were skipped, kNewLate when
// an older one arrives afterwards), so the pipe layer counts out-of-order deliveries; a
// late copy more than 1024 behind is dropped as kTooOld (counted), never delivered twice.
//
// Incarnations. A pipe closed and opened again numbers its messages from 1 anew, under
// another epoch (dmpd_data_hdr.epoch, 1..255). A key seen with another epoch starts afresh.
// For kStragglerNs after that, frames of the epoch it replaced (still in flight, or pieces
// the reassembler completes late) are dropped as kStale rather than restarting the key
// again; after it, any other epoch is a newer incarnation (epochs are 8 bits and a
// restarted daemon's start anywhere, so they are not ordered). Epoch 0 (a sender that gives
// none) is the same incarnation as any.
#ifndef DMPD_USERSPACE_PIPE_DEDUP_WINDOW_H_
#define DMPD_USERSPACE_PIPE_DEDUP_WINDOW_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace dmpd::pipe {

enum class DedupVerdict : uint8_t {
  kNew,          // the next sequence after the highest (or a key's first): in order
  kNewAfterGap,  // new and higher than highest + 1: sequences in between are missing
  kNewLate,      // new but below the highest: it arrives out of order
  kDuplicate,    // seen before: drop
  kTooOld,       // below the window: cannot tell, drop
  kStale,        // from the incarnation of the sending pipe that a newer one replaced: drop
};
const char* DedupVerdictName(DedupVerdict v);
constexpr bool IsNew(DedupVerdict v) {
  return v == DedupVerdict::kNew || v == DedupVerdict::kNewAfterGap || v == DedupVerdict::kNewLate;
}

struct DedupKey {
  uint16_t node = 0;
  uint16_t pipe = 0;
  friend bool operator==(const DedupKey&, const DedupKey&) = default;
};

class DedupWindow {
 public:
  static constexpr uint32_t kWindowBits = 1024;
  // How long frames of a replaced incarnation may still arrive: the reassembler's timeout.
  static constexpr uint64_t kStragglerNs = 2'000'000'000;

  // max_keys > 0; memory is about 160 bytes a key, all taken here.
  static absl::StatusOr<DedupWindow> Create(uint32_t max_keys);

  // Hot path: no allocation. Sequences are 64-bit and compared as plain numbers (a 64-bit
  // counter does not wrap); a jump forward of any size is accepted (the window restarts).
  DedupVerdict Accept(DedupKey key, uint8_t epoch, uint64_t sequence, uint64_t now_ns);
  DedupVerdict Accept(DedupKey key, uint64_t sequence) { return Accept(key, 0, sequence, 0); }

  // The sender restarted (e.g. a new pipe incarnation): start the key afresh.
  void Forget(DedupKey key);

  // The highest sequence accepted for `key` in incarnation `epoch`, 0 for a key not held or
  // held for another incarnation (to widen a shorter sequence from the wire against it).
  uint64_t Top(DedupKey key, uint8_t epoch = 0) const;

  uint32_t keys() const { return used_; }
  uint64_t evictions() const { return evictions_; }

 private:
  static constexpr uint32_t kWords = kWindowBits / 64;
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Entry {
    uint64_t top = 0;            // highest sequence seen
    uint64_t bits[kWords] = {};  // bit (s % 1024): s in (top - 1024, top] arrived
    uint32_t key = 0;            // node << 16 | pipe
    uint8_t epoch = 0;           // the sending pipe's incarnation (0: none given)
    uint8_t replaced_epoch = 0;  // the one before it: its late frames are stale until
    uint64_t replaced_until_ns = 0;
    uint32_t lru_prev = kNil;    // towards the most recently used
    uint32_t lru_next = kNil;
  };

  explicit DedupWindow(uint32_t max_keys);
  uint32_t Find(uint32_t key) const;  // entry index or kNil
  uint32_t Insert(uint32_t key);      // evicts if full
  void EraseFromTable(uint32_t key);
  void Touch(uint32_t entry);
  void LruUnlink(uint32_t entry);
  void LruPushFront(uint32_t entry);

  std::vector<Entry> entries_;
  std::vector<uint32_t> table_;  // open addressing, linear probing; entry index or kNil
  uint32_t table_mask_ = 0;
  uint32_t used_ = 0;
  uint32_t free_head_ = kNil;  // unused entries, chained through lru_next
  uint32_t lru_head_ = kNil;   // most recently used
  uint32_t lru_tail_ = kNil;   // least recently used
  uint64_t evictions_ = 0;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_DEDUP_WINDOW_H_
