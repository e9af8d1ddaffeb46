// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/key_hash_cache.h"

#include <utility>

namespace dmpd::lb {

absl::StatusOr<KeyHashCache> KeyHashCache::Create(const ToeplitzHash* hasher, size_t capacity) {
  absl::StatusOr<FixedKeyTable<uint32_t>> table = FixedKeyTable<uint32_t>::Create(capacity);
  if (!table.ok()) return table.status();
  return KeyHashCache(hasher, *std::move(table));
}

uint32_t KeyHashCache::HashOf(const BalanceKey& key) {
  bool inserted = false;
  uint32_t* cached = table_.FindOrInsert(key, MixBalanceKey(key), &inserted);
  if (inserted) {
    ++misses_;
    *cached = hasher_->Hash(key);
  } else {
    ++hits_;
  }
  return *cached;
}

}  // namespace dmpd::lb
