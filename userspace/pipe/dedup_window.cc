// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/dedup_window.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace dmpd::pipe {
namespace {

constexpr uint32_t Pack(DedupKey k) { return uint32_t{k.node} << 16 | k.pipe; }

// Fibonacci hashing: the top bits of key × 2^64/φ spread consecutive pipe ids.
uint32_t Home(uint32_t key, uint32_t mask) {
  const uint64_t h = uint64_t{key} * 0x9e3779b97f4a7c15ull;
  return static_cast<uint32_t>(h >> 32) & mask;
}

}  // namespace

const char* DedupVerdictName(DedupVerdict v) {
  switch (v) {
    case DedupVerdict::kNew:
      return "new";
    case DedupVerdict::kNewAfterGap:
      return "new_after_gap";
    case DedupVerdict::kNewLate:
      return "new_late";
    case DedupVerdict::kDuplicate:
      return "duplicate";
    case DedupVerdict::kTooOld:
      return "too_old";
    case DedupVerdict::kStale:
      return "stale";
  }
  return "?";
}

absl::StatusOr<DedupWindow> DedupWindow::Create(uint32_t max_keys) {
  if (max_keys == 0 || max_keys > (1u << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("dedup window keys ", max_keys, " not in [1, 2^24]"));
  }
  return DedupWindow(max_keys);
}

DedupWindow::DedupWindow(uint32_t max_keys)
    : entries_(max_keys),
      // Load factor at most 1/2 keeps the probes short.
      table_(std::bit_ceil(uint64_t{max_keys} * 2), kNil),
      table_mask_(static_cast<uint32_t>(table_.size() - 1)) {
  for (uint32_t i = 0; i < max_keys; ++i) entries_[i].lru_next = i + 1 < max_keys ? i + 1 : kNil;
  free_head_ = 0;
}

uint32_t DedupWindow::Find(uint32_t key) const {
  for (uint32_t i = Home(key, table_mask_);; i = (i + 1) & table_mask_) {
    const uint32_t e = table_[i];
    if (e == kNil) return kNil;
    if (entries_[e].key == key) return e;
  }
}

void DedupWindow::LruUnlink(uint32_t e) {
  Entry& x = entries_[e];
  if (x.lru_prev == kNil) {
    lru_head_ = x.lru_next;
  } else {
    entries_[x.lru_prev].lru_next = x.lru_next;
  }
  if (x.lru_next == kNil) {
    lru_tail_ = x.lru_prev;
  } else {
    entries_[x.lru_next].lru_prev = x.lru_prev;
  }
  x.lru_prev = x.lru_next = kNil;
}

void DedupWindow::LruPushFront(uint32_t e) {
  Entry& x = entries_[e];
  x.lru_prev = kNil;
  x.lru_next = lru_head_;
  if (lru_head_ != kNil) entries_[lru_head_].lru_prev = e;
  lru_head_ = e;
  if (lru_tail_ == kNil) lru_tail_ = e;
}

void DedupWindow::Touch(uint32_t e) {
  if (lru_head_ == e) return;
  LruUnlink(e);
  LruPushFront(e);
}

void DedupWindow::EraseFromTable(uint32_t key) {
  uint32_t i = Home(key, table_mask_);
  while (table_[i] != kNil && entries_[table_[i]].key != key) i = (i + 1) & table_mask_;
  if (table_[i] == kNil) return;
  table_[i] = kNil;
  // Backward-shift deletion: pull later members of the probe run into the hole unless
  // their home lies cyclically in (hole, j], so that every key stays reachable without
  // tombstones.
  for (uint32_t j = (i + 1) & table_mask_; table_[j] != kNil; j = (j + 1) & table_mask_) {
    const uint32_t home = Home(entries_[table_[j]].key, table_mask_);
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    table_[i] = table_[j];
    table_[j] = kNil;
    i = j;
  }
}

uint32_t DedupWindow::Insert(uint32_t key) {
  uint32_t e;
  if (free_head_ != kNil) {
    e = free_head_;
    free_head_ = entries_[e].lru_next;
    ++used_;
  } else {
    e = lru_tail_;
    LruUnlink(e);
    EraseFromTable(entries_[e].key);
    ++evictions_;
  }
  Entry& x = entries_[e];
  x.key = key;
  // (top, bits and epoch are set by Accept, the only caller)
  x.replaced_epoch = 0;
  x.replaced_until_ns = 0;
  x.lru_prev = x.lru_next = kNil;
  uint32_t i = Home(key, table_mask_);
  while (table_[i] != kNil) i = (i + 1) & table_mask_;
  table_[i] = e;
  LruPushFront(e);
  return e;
}

uint64_t DedupWindow::Top(DedupKey k, uint8_t epoch) const {
  const uint32_t e = Find(Pack(k));
  if (e == kNil) return 0;
  const Entry& x = entries_[e];
  return epoch == 0 || epoch == x.epoch ? x.top : 0;
}

void DedupWindow::Forget(DedupKey k) {
  const uint32_t key = Pack(k);
  const uint32_t e = Find(key);
  if (e == kNil) return;
  LruUnlink(e);
  EraseFromTable(key);
  entries_[e].lru_next = free_head_;
  free_head_ = e;
  --used_;
}

DedupVerdict DedupWindow::Accept(DedupKey k, uint8_t epoch, uint64_t sequence,
                                 uint64_t now_ns) {
  const uint32_t key = Pack(k);
  const uint32_t bit = static_cast<uint32_t>(sequence % kWindowBits);
  uint32_t e = Find(key);
  // A key's first message, in a new entry or a new incarnation: the window starts there.
  auto start = [&](Entry& x) {
    x.epoch = epoch;
    x.top = sequence;
    std::memset(x.bits, 0, sizeof(x.bits));
    x.bits[bit / 64] |= uint64_t{1} << (bit % 64);
    return DedupVerdict::kNew;
  };
  if (e == kNil) return start(entries_[Insert(key)]);
  Touch(e);
  Entry& x = entries_[e];
  if (epoch != 0 && epoch != x.epoch) {
    if (epoch == x.replaced_epoch && now_ns < x.replaced_until_ns) return DedupVerdict::kStale;
    // The sending pipe was opened again: its sequences start over.
    x.replaced_epoch = x.epoch;
    x.replaced_until_ns = now_ns + kStragglerNs;
    return start(x);
  }
  if (sequence > x.top) {
    const uint64_t ahead = sequence - x.top;
    if (ahead >= kWindowBits) {
      std::memset(x.bits, 0, sizeof(x.bits));
    } else {
      // The positions of top+1 .. sequence held sequences now out of the window.
      for (uint64_t s = x.top + 1; s <= sequence; ++s) {
        const uint32_t b = static_cast<uint32_t>(s % kWindowBits);
        x.bits[b / 64] &= ~(uint64_t{1} << (b % 64));
      }
    }
    x.top = sequence;
    x.bits[bit / 64] |= uint64_t{1} << (bit % 64);
    return ahead == 1 ? DedupVerdict::kNew : DedupVerdict::kNewAfterGap;
  }
  if (x.top - sequence >= kWindowBits) return DedupVerdict::kTooOld;
  uint64_t& word = x.bits[bit / 64];
  const uint64_t mask = uint64_t{1} << (bit % 64);
  if (word & mask) return DedupVerdict::kDuplicate;
  word |= mask;
  return DedupVerdict::kNewLate;
}

}  // namespace dmpd::pipe
