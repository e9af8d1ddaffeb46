// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/key_hash_cache.h"

#include <gtest/gtest.h>

#include "userspace/lb/fixed_key_table.h"

namespace dmpd::lb {
namespace {

TEST(KeyHashCache, ComputesOnceThenHits) {
  const ToeplitzHash h = ToeplitzHash::CreateMicrosoftDefault();
  absl::StatusOr<KeyHashCache> cache = KeyHashCache::Create(&h, 64);
  ASSERT_TRUE(cache.ok());
  const BalanceKey k{1, 2, 3, 4, 5};
  EXPECT_EQ(cache->HashOf(k), h.Hash(k));
  EXPECT_EQ(cache->HashOf(k), h.Hash(k));
  EXPECT_EQ(cache->HashOf(k), h.Hash(k));
  EXPECT_EQ(cache->misses(), 1u);
  EXPECT_EQ(cache->hits(), 2u);
}

TEST(KeyHashCache, BoundedByEvictionAndStillCorrect) {
  const ToeplitzHash h = ToeplitzHash::CreateMicrosoftDefault();
  absl::StatusOr<KeyHashCache> cache = KeyHashCache::Create(&h, 16);
  ASSERT_TRUE(cache.ok());
  for (uint16_t pipe = 0; pipe < 200; ++pipe) {
    const BalanceKey k{1, 2, pipe, 7, 0};
    ASSERT_EQ(cache->HashOf(k), h.Hash(k));
  }
  EXPECT_LE(cache->size(), 16u);
  EXPECT_GT(cache->evictions(), 0u);
  for (uint16_t pipe = 0; pipe < 200; ++pipe) {  // evicted or not, the answer is right
    const BalanceKey k{1, 2, pipe, 7, 0};
    ASSERT_EQ(cache->HashOf(k), h.Hash(k));
  }
}

TEST(FixedKeyTable, CapacityMustBeAPowerOfTwo) {
  EXPECT_FALSE(FixedKeyTable<int>::Create(100).ok());
  EXPECT_FALSE(FixedKeyTable<int>::Create(4).ok());
  EXPECT_TRUE(FixedKeyTable<int>::Create(128).ok());
}

TEST(FixedKeyTable, FindsWhatWasInsertedAcrossCollisions) {
  absl::StatusOr<FixedKeyTable<int>> t = FixedKeyTable<int>::Create(64);
  ASSERT_TRUE(t.ok());
  bool inserted = false;
  // Same index hash for all: they share one probe window.
  for (uint16_t i = 0; i < 5; ++i) *t->FindOrInsert({i, 0, 0, 0, 0}, 3, &inserted) = i * 10;
  for (uint16_t i = 0; i < 5; ++i) {
    int* v = t->Find({i, 0, 0, 0, 0}, 3);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*v, i * 10);
  }
  EXPECT_EQ(t->Find({9, 0, 0, 0, 0}, 3), nullptr);
  EXPECT_EQ(t->size(), 5u);
}

}  // namespace
}  // namespace dmpd::lb
