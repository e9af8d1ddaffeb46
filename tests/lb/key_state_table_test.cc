// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/key_state_table.h"

#include <gtest/gtest.h>

#include "userspace/lb/fixed_key_table.h"

namespace dmpd::lb {
namespace {

TEST(KeyStateTable, HashComputedOnceThenCached) {
  const ToeplitzHash h = ToeplitzHash::CreateMicrosoftDefault();
  absl::StatusOr<KeyStateTable> keys = KeyStateTable::Create(&h, 64);
  ASSERT_TRUE(keys.ok());
  const BalanceKey k{1, 2, 3, 4, 5};
  bool added = false;
  KeyState* s = keys->FindOrAdd(k, &added);
  EXPECT_TRUE(added);
  EXPECT_EQ(s->hash, h.Hash(k));
  EXPECT_EQ(s->assignment.send.port, kNoPort);  // no ports yet
  s->assignment.send.port = 3;
  for (int i = 0; i < 3; ++i) {
    KeyState* again = keys->FindOrAdd(k, &added);
    EXPECT_FALSE(added);
    EXPECT_EQ(again, s);
    EXPECT_EQ(again->hash, h.Hash(k));
    EXPECT_EQ(again->assignment.send.port, 3);
  }
  EXPECT_EQ(keys->hash_computations(), 1u);
  EXPECT_EQ(keys->hash_cache_hits(), 3u);
}

TEST(KeyStateTable, BoundedByEvictionAndStillCorrect) {
  const ToeplitzHash h = ToeplitzHash::CreateMicrosoftDefault();
  absl::StatusOr<KeyStateTable> keys = KeyStateTable::Create(&h, 16);
  ASSERT_TRUE(keys.ok());
  bool added = false;
  for (int round = 0; round < 2; ++round) {  // evicted or not, the hash is right
    for (uint16_t pipe = 0; pipe < 200; ++pipe) {
      const BalanceKey k{1, 2, pipe, 7, 0};
      ASSERT_EQ(keys->FindOrAdd(k, &added)->hash, h.Hash(k));
    }
  }
  EXPECT_LE(keys->size(), 16u);
  EXPECT_GT(keys->evictions(), 0u);
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
