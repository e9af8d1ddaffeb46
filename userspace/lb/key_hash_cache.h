// SPDX-License-Identifier: BSD-3-Clause
// KeyHashCache: the Toeplitz hash of a key, computed on the key's first message and read
// from a bounded table afterwards (issue 10: "the hash of a key is cached, not recomputed
// per message"). Owned by one worker; not thread-safe.
#ifndef DMPD_USERSPACE_LB_KEY_HASH_CACHE_H_
#define DMPD_USERSPACE_LB_KEY_HASH_CACHE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "userspace/lb/balance_key.h"
#include "userspace/lb/fixed_key_table.h"
#include "userspace/lb/toeplitz_hash.h"

namespace dmpd::lb {

class KeyHashCache {
 public:
  // `hasher` must outlive the cache; `capacity` as FixedKeyTable.
  static absl::StatusOr<KeyHashCache> Create(const ToeplitzHash* hasher, size_t capacity);

  uint32_t HashOf(const BalanceKey& key);

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t evictions() const { return table_.evictions(); }
  size_t size() const { return table_.size(); }

 private:
  KeyHashCache(const ToeplitzHash* hasher, FixedKeyTable<uint32_t> table)
      : hasher_(hasher), table_(std::move(table)) {}

  const ToeplitzHash* hasher_;
  FixedKeyTable<uint32_t> table_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_KEY_HASH_CACHE_H_
