// SPDX-License-Identifier: BSD-3-Clause
// KeyStateTable: what one worker remembers per key — its Toeplitz hash, computed on the
// key's first message only (issue 10: "the hash of a key is cached, not recomputed per
// message"), and its port assignment (LB-6). One bounded table for both, so that a
// known key costs one probe: a separate hash cache and assignment table cost two, which
// was a third of a decision in lb_benchmark. Owned by one worker; not thread-safe.
#ifndef DMPD_USERSPACE_LB_KEY_STATE_TABLE_H_
#define DMPD_USERSPACE_LB_KEY_STATE_TABLE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "userspace/lb/balance_key.h"
#include "userspace/lb/decision.h"
#include "userspace/lb/fixed_key_table.h"
#include "userspace/lb/key_assignment.h"
#include "userspace/lb/toeplitz_hash.h"

namespace dmpd::lb {

struct KeyState {
  uint32_t hash = 0;  // Toeplitz, steps 1–2
  // The decision is a function of the snapshot and the assignment only, so it is made
  // once per key and period and repeated for the period's other messages: a known key
  // then costs one probe and a copy. 0 = never (periods start at 1).
  uint32_t decided_period = 0;
  Decision decision;  // without kDecisionEventFlags
  KeyAssignment assignment;
  // The key's traffic (message bytes), per period: its share of a port's load when it
  // moves (load_ledger.h).
  uint32_t traffic_period = 0;  // the period bytes_this_period counts
  uint64_t bytes_this_period = 0;
  uint64_t bytes_last_period = 0;  // the period before traffic_period (0: idle then)
};

class KeyStateTable {
 public:
  // `hasher` must outlive the table; `capacity` as FixedKeyTable (a power of two).
  static absl::StatusOr<KeyStateTable> Create(const ToeplitzHash* hasher, size_t capacity);

  // The key's state; a key not in the table (new, or evicted) is added with its hash
  // computed and no ports (`*added` = true).
  KeyState* FindOrAdd(const BalanceKey& key, bool* added) {
    KeyState* s = table_.FindOrInsert(key, MixBalanceKey(key), added);
    if (*added) {
      ++hash_computations_;
      s->hash = hasher_->Hash(key);
    } else {
      ++hash_cache_hits_;
    }
    return s;
  }

  template <class F>
  void ForEach(F&& f) const {
    table_.ForEach(f);
  }

  uint64_t hash_cache_hits() const { return hash_cache_hits_; }
  uint64_t hash_computations() const { return hash_computations_; }
  uint64_t evictions() const { return table_.evictions(); }
  size_t size() const { return table_.size(); }

 private:
  KeyStateTable(const ToeplitzHash* hasher, FixedKeyTable<KeyState> table)
      : hasher_(hasher), table_(std::move(table)) {}

  const ToeplitzHash* hasher_;
  FixedKeyTable<KeyState> table_;
  uint64_t hash_cache_hits_ = 0;
  uint64_t hash_computations_ = 0;
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_KEY_STATE_TABLE_H_
