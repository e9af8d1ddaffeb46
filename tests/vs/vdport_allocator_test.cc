// SPDX-License-Identifier: BSD-3-Clause
// The vdports of seed 004 §4.2: one port reused toward every backend, Max-CC = ports ×
// backends exactly, a port free again when its last connection ends.
#include "userspace/vs/vdport_allocator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace dmpd::vs {
namespace {

TEST(VdportAllocator, MaxConcurrentConnectionsIsPortsTimesBackends) {
  auto a = *VdportAllocator::Create(40000, 40099, 3);  // 100 ports, 3 backends
  std::vector<std::set<uint16_t>> got(3);
  for (int i = 0; i < 300; ++i) {
    const uint32_t backend = i % 3;
    std::optional<uint16_t> p = a.Acquire(backend);
    ASSERT_TRUE(p.has_value()) << "connection " << i;
    EXPECT_GE(*p, 40000);
    EXPECT_LE(*p, 40099);
    EXPECT_TRUE(got[backend].insert(*p).second) << "vdport " << *p << " twice toward " << backend;
  }
  EXPECT_EQ(a.in_use(), 300u);
  EXPECT_EQ(a.ports_in_use(), 100u);
  for (uint32_t b = 0; b < 3; ++b) {
    EXPECT_FALSE(a.Acquire(b).has_value()) << "backend " << b << ": the 301st";
  }
  EXPECT_EQ(a.refused(), 3u);
  EXPECT_EQ(a.users(40000), 3u);  // every port serves all three backends
}

TEST(VdportAllocator, OnePortIsReusedTowardEachBackend) {
  auto a = *VdportAllocator::Create(5000, 5000, 4);  // a single port
  for (uint32_t b = 0; b < 4; ++b) EXPECT_EQ(a.Acquire(b), 5000);
  EXPECT_EQ(a.users(5000), 4u);
  EXPECT_FALSE(a.Acquire(2).has_value());
  EXPECT_TRUE(a.Release(2, 5000));
  EXPECT_EQ(a.users(5000), 3u);
  EXPECT_EQ(a.Acquire(2), 5000);
}

TEST(VdportAllocator, APortIsFreeAgainWhenItsLastConnectionEnds) {
  auto a = *VdportAllocator::Create(1024, 1087, 2);
  const uint16_t p0 = *a.Acquire(0);
  const uint16_t p1 = *a.Acquire(1);
  EXPECT_EQ(p0, p1);
  EXPECT_EQ(a.ports_in_use(), 1u);
  EXPECT_TRUE(a.Release(0, p0));
  EXPECT_EQ(a.ports_in_use(), 1u);
  EXPECT_TRUE(a.Release(1, p1));
  EXPECT_EQ(a.ports_in_use(), 0u);
  EXPECT_EQ(a.users(p0), 0u);
}

TEST(VdportAllocator, BadReleasesAreCountedAndChangeNothing) {
  auto a = *VdportAllocator::Create(1000, 1010, 2);
  const uint16_t p = *a.Acquire(0);
  EXPECT_FALSE(a.Release(1, p));     // not in use toward backend 1
  EXPECT_FALSE(a.Release(0, 999));   // outside the range
  EXPECT_FALSE(a.Release(5, p));     // no such backend
  EXPECT_TRUE(a.Release(0, p));
  EXPECT_FALSE(a.Release(0, p));     // twice
  EXPECT_EQ(a.bad_releases(), 4u);
  EXPECT_EQ(a.in_use(), 0u);
  EXPECT_FALSE(a.Acquire(2).has_value());  // no such backend
}

TEST(VdportAllocator, ChurnMatchesAModel) {
  // 130 ports (a partial last word), 5 backends, random acquires and releases.
  auto a = *VdportAllocator::Create(60000, 60129, 5);
  std::vector<std::set<uint16_t>> model(5);
  std::mt19937 rng(42);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t b = rng() % 5;
    if (rng() % 2 == 0 || model[b].empty()) {
      std::optional<uint16_t> p = a.Acquire(b);
      if (model[b].size() == 130) {
        ASSERT_FALSE(p.has_value());
      } else {
        ASSERT_TRUE(p.has_value());
        ASSERT_GE(*p, 60000);
        ASSERT_LE(*p, 60129);
        ASSERT_TRUE(model[b].insert(*p).second);
      }
    } else {
      auto it = model[b].begin();
      std::advance(it, rng() % model[b].size());
      ASSERT_TRUE(a.Release(b, *it));
      model[b].erase(it);
    }
  }
  uint64_t pairs = 0;
  for (const auto& m : model) pairs += m.size();
  EXPECT_EQ(a.in_use(), pairs);
  for (uint16_t port = 60000; port <= 60129; ++port) {
    uint32_t users = 0;
    for (const auto& m : model) users += m.count(port);
    ASSERT_EQ(a.users(port), users) << port;
  }
}

TEST(VdportAllocator, RefusesBadRanges) {
  EXPECT_FALSE(VdportAllocator::Create(0, 10, 1).ok());
  EXPECT_FALSE(VdportAllocator::Create(20, 10, 1).ok());
  EXPECT_FALSE(VdportAllocator::Create(10, 20, 0).ok());
  EXPECT_TRUE(VdportAllocator::Create(1, 65535, 8).ok());
}

}  // namespace
}  // namespace dmpd::vs
