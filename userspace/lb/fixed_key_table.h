// SPDX-License-Identifier: BSD-3-Clause
// FixedKeyTable: a bounded map from BalanceKey to a small value, for the per-key state of
// the data path (the hash cache, the key assignments). Open addressing with linear
// probing over a power-of-two array allocated once: a lookup or an insert never
// allocates. The bound is kept by eviction instead of growth: when the probe window of a
// new key is full, the key at its home slot is replaced (and counted) — what a cache may
// do, since an evicted key is only computed or assigned again.
#ifndef DMPD_USERSPACE_LB_FIXED_KEY_TABLE_H_
#define DMPD_USERSPACE_LB_FIXED_KEY_TABLE_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "userspace/lb/balance_key.h"

namespace dmpd::lb {

template <class Value>
class FixedKeyTable {
 public:
  // Slots probed before evicting: short enough to bound a miss, long enough that a table
  // under ~70 % full rarely evicts.
  static constexpr size_t kProbeWindow = 8;

  struct Slot {
    BalanceKey key;
    bool used = false;
    Value value{};
  };

  // `capacity`: a power of two, at least kProbeWindow.
  static absl::StatusOr<FixedKeyTable> Create(size_t capacity) {
    if (capacity < kProbeWindow || !std::has_single_bit(capacity)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key table capacity ", capacity, " must be a power of two of at least ", kProbeWindow));
    }
    return FixedKeyTable(capacity);
  }

  // `index_hash`: any well-mixed hash of `key` (the caller's, so it is computed once).
  Value* Find(const BalanceKey& key, uint64_t index_hash) {
    for (size_t i = 0; i < kProbeWindow; ++i) {
      Slot& s = slots_[(index_hash + i) & mask_];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
    return nullptr;
  }

  // The key's value, inserted as Value{} if absent (`*inserted` says which).
  Value* FindOrInsert(const BalanceKey& key, uint64_t index_hash, bool* inserted) {
    for (size_t i = 0; i < kProbeWindow; ++i) {
      Slot& s = slots_[(index_hash + i) & mask_];
      if (!s.used) {
        s = Slot{key, true, Value{}};
        ++size_;
        *inserted = true;
        return &s.value;
      }
      if (s.key == key) {
        *inserted = false;
        return &s.value;
      }
    }
    Slot& home = slots_[index_hash & mask_];
    home = Slot{key, true, Value{}};
    ++evictions_;
    *inserted = true;
    return &home.value;
  }

  template <class F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.used) f(s.key, s.value);
    }
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  explicit FixedKeyTable(size_t capacity) : slots_(capacity), mask_(capacity - 1) {}

  std::vector<Slot> slots_;
  size_t mask_;
  size_t size_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_FIXED_KEY_TABLE_H_
