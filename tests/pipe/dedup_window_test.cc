// SPDX-License-Identifier: BSD-3-Clause
// DedupWindow: duplicates, old sequences, gaps and late arrivals, large jumps, many keys
// with LRU eviction, k copies arriving from ports of different delays, and a sending pipe
// opened again (a new epoch: its sequences start over).
#include "userspace/pipe/dedup_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace dmpd::pipe {
namespace {

using V = DedupVerdict;

TEST(DedupWindow, FirstCopyNewOthersDuplicate) {
  auto d = *DedupWindow::Create(8);
  const DedupKey k{1, 2};
  EXPECT_EQ(d.Accept(k, 100), V::kNew);
  EXPECT_EQ(d.Accept(k, 100), V::kDuplicate);
  EXPECT_EQ(d.Accept(k, 101), V::kNew);
  EXPECT_EQ(d.Accept(k, 101), V::kDuplicate);
  EXPECT_EQ(d.Accept(k, 100), V::kDuplicate);
  EXPECT_EQ(d.Accept({1, 3}, 100), V::kNew) << "another pipe is another key";
  EXPECT_EQ(d.Accept({2, 2}, 100), V::kNew) << "another node is another key";
  EXPECT_EQ(d.keys(), 3u);
}

TEST(DedupWindow, GapsLateAndTooOld) {
  auto d = *DedupWindow::Create(8);
  const DedupKey k{7, 7};
  EXPECT_EQ(d.Accept(k, 10), V::kNew);
  EXPECT_EQ(d.Accept(k, 13), V::kNewAfterGap);
  EXPECT_EQ(d.Accept(k, 11), V::kNewLate);
  EXPECT_EQ(d.Accept(k, 12), V::kNewLate);
  EXPECT_EQ(d.Accept(k, 12), V::kDuplicate);
  EXPECT_EQ(d.Accept(k, 9), V::kNewLate) << "before the first but inside the window";
  EXPECT_EQ(d.Accept(k, 13 + 1023), V::kNewAfterGap);
  EXPECT_EQ(d.Accept(k, 13), V::kDuplicate) << "still inside: 1023 behind";
  EXPECT_EQ(d.Accept(k, 12), V::kTooOld) << "1024 behind";
  EXPECT_EQ(d.Accept(k, 0), V::kTooOld);
}

TEST(DedupWindow, WindowSlidesAndForgetsOnlyWhatLeft) {
  auto d = *DedupWindow::Create(1);
  const DedupKey k{1, 1};
  for (uint64_t s = 0; s < 5000; ++s) ASSERT_EQ(d.Accept(k, s), V::kNew) << s;
  for (uint64_t s = 5000 - 1024; s < 5000; ++s) ASSERT_EQ(d.Accept(k, s), V::kDuplicate) << s;
  EXPECT_EQ(d.Accept(k, 5000 - 1025), V::kTooOld);
  // Every other sequence: the skipped ones are new late arrivals, not stale bits.
  for (uint64_t s = 5000; s < 9000; s += 2) d.Accept(k, s);
  for (uint64_t s = 9000 - 1023; s < 8999; s += 2) ASSERT_EQ(d.Accept(k, s), V::kNewLate) << s;
}

TEST(DedupWindow, LargeJumps) {
  auto d = *DedupWindow::Create(4);
  const DedupKey k{3, 4};
  EXPECT_EQ(d.Accept(k, 5), V::kNew);
  EXPECT_EQ(d.Accept(k, 1ull << 40), V::kNewAfterGap);
  EXPECT_EQ(d.Accept(k, (1ull << 40) - 1), V::kNewLate) << "the window restarted empty";
  EXPECT_EQ(d.Accept(k, 5), V::kTooOld);
  EXPECT_EQ(d.Accept(k, ~uint64_t{0}), V::kNewAfterGap);
  EXPECT_EQ(d.Accept(k, ~uint64_t{0}), V::kDuplicate);
  EXPECT_EQ(d.Accept(k, ~uint64_t{0} - 1023), V::kNewLate);
  EXPECT_EQ(d.Accept(k, ~uint64_t{0} - 1024), V::kTooOld);
  // A restarted sender is too old until the pipe layer forgets the key.
  EXPECT_EQ(d.Accept(k, 0), V::kTooOld);
  d.Forget(k);
  EXPECT_EQ(d.keys(), 0u);
  EXPECT_EQ(d.Accept(k, 0), V::kNew);
}

TEST(DedupWindow, EvictsTheLeastRecentlyUsedAndCounts) {
  auto d = *DedupWindow::Create(3);
  EXPECT_EQ(d.Accept({1, 0}, 1), V::kNew);
  EXPECT_EQ(d.Accept({2, 0}, 1), V::kNew);
  EXPECT_EQ(d.Accept({3, 0}, 1), V::kNew);
  EXPECT_EQ(d.Accept({1, 0}, 2), V::kNew);  // key 1 used again: key 2 is now the oldest
  EXPECT_EQ(d.Accept({4, 0}, 1), V::kNew);  // evicts key 2
  EXPECT_EQ(d.evictions(), 1u);
  EXPECT_EQ(d.keys(), 3u);
  EXPECT_EQ(d.Accept({1, 0}, 2), V::kDuplicate);
  EXPECT_EQ(d.Accept({3, 0}, 1), V::kDuplicate);
  EXPECT_EQ(d.Accept({4, 0}, 1), V::kDuplicate);
  EXPECT_EQ(d.Accept({2, 0}, 1), V::kNew) << "forgotten: the cost of eviction";
  EXPECT_EQ(d.evictions(), 2u);
}

// Many keys through a small table with random churn, checked against a model (a set of
// keys in LRU order): every verdict matches what a table of that many keys must say.
TEST(DedupWindow, ChurnMatchesAModel) {
  constexpr uint32_t kCap = 64;
  auto d = *DedupWindow::Create(kCap);
  std::vector<uint32_t> lru;  // front = most recent
  std::mt19937 g(9);
  uint64_t evictions = 0;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t key = g() % 200;
    const DedupKey k{static_cast<uint16_t>(key / 7), static_cast<uint16_t>(key * 31)};
    const uint32_t packed = uint32_t{k.node} << 16 | k.pipe;
    auto it = std::find(lru.begin(), lru.end(), packed);
    const bool known = it != lru.end();
    if (known) {
      lru.erase(it);
    } else if (lru.size() == kCap) {
      lru.pop_back();
      ++evictions;
    }
    lru.insert(lru.begin(), packed);
    // Offer the same sequence twice: new only for an unknown key (sequence 1 forever).
    ASSERT_EQ(d.Accept(k, 1), known ? V::kDuplicate : V::kNew) << i;
    if (g() % 50 == 0) {
      d.Forget(k);
      lru.erase(lru.begin());
    }
  }
  EXPECT_EQ(d.evictions(), evictions);
  EXPECT_EQ(d.keys(), lru.size());
}

// k = 3 copies on ports of different delays: each copy of n is sent before each copy of
// n+1 on the same port, ports are FIFO. Delivered exactly once and in order.
TEST(DedupWindow, KCopiesOverUnequalPortsDeliverOnceInOrder) {
  auto d = *DedupWindow::Create(16);
  struct Arrival {
    uint64_t time;
    uint64_t seq;
  };
  const uint64_t delay[3] = {10, 500, 3000};  // ns, per port
  std::vector<Arrival> arrivals;
  for (uint64_t n = 0; n < 20000; ++n) {
    for (int port = 0; port < 3; ++port) arrivals.push_back({n * 7 + delay[port], n});
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.time < b.time; });
  std::vector<uint64_t> delivered;
  uint64_t dropped = 0;
  for (const Arrival& a : arrivals) {
    const V v = d.Accept({1, 1}, a.seq);
    if (IsNew(v)) {
      EXPECT_EQ(v, V::kNew);
      delivered.push_back(a.seq);
    } else {
      ++dropped;
    }
  }
  ASSERT_EQ(delivered.size(), 20000u);
  for (uint64_t n = 0; n < delivered.size(); ++n) ASSERT_EQ(delivered[n], n);
  EXPECT_EQ(dropped, 40000u);
}

// A pipe closed and opened again numbers from 1 under the next epoch: the key starts
// afresh instead of taking those messages for duplicates; what is still in flight from the
// replaced incarnation is stale for kStragglerNs, not a reason to start over again.
TEST(DedupWindow, ANewEpochStartsTheKeyAfreshAndTheOldOneIsStaleForAWhile) {
  auto d = *DedupWindow::Create(8);
  const DedupKey k{1, 2};
  constexpr uint64_t kS = DedupWindow::kStragglerNs;
  uint64_t now = 1'000;
  for (uint64_t s = 1; s <= 5000; ++s) ASSERT_EQ(d.Accept(k, 7, s, now), V::kNew);
  EXPECT_EQ(d.Top(k, 7), 5000u);
  EXPECT_EQ(d.Top(k, 8), 0u) << "nothing of epoch 8 yet: widen from 0";
  EXPECT_EQ(d.Accept(k, 7, 4990, now), V::kDuplicate);
  EXPECT_EQ(d.Accept(k, 8, 1, now), V::kNew) << "epoch 8's first message";
  EXPECT_EQ(d.Accept(k, 8, 1, now), V::kDuplicate) << "its second copy";
  EXPECT_EQ(d.Accept(k, 8, 2, now), V::kNew);
  EXPECT_EQ(d.Accept(k, 7, 5001, now + kS - 1), V::kStale) << "a straggler of epoch 7";
  EXPECT_EQ(d.Accept(k, 8, 3, now + kS - 1), V::kNew) << "it did not restart the key";
  EXPECT_EQ(d.Top(k, 8), 3u);
  // Long after, epoch 7 again is a newer incarnation (a restarted daemon's pipe).
  now += kS;
  EXPECT_EQ(d.Accept(k, 7, 1, now), V::kNew);
  EXPECT_EQ(d.Accept(k, 7, 2, now), V::kNew);
  EXPECT_EQ(d.Accept(k, 8, 4, now + 1), V::kStale);
  // Epoch 0 (a sender that gives none) belongs to whatever incarnation the key has.
  EXPECT_EQ(d.Accept(k, 0, 2, now), V::kDuplicate);
  EXPECT_EQ(d.Accept(k, 0, 9, now), V::kNewAfterGap);
  EXPECT_EQ(d.keys(), 1u);
}

TEST(DedupWindow, RejectsZeroKeys) { EXPECT_FALSE(DedupWindow::Create(0).ok()); }

}  // namespace
}  // namespace dmpd::pipe
