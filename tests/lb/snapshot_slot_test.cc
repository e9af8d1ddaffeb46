// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/snapshot_slot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

namespace dmpd::lb {
namespace {

struct Tables {
  int period;
};

TEST(SnapshotSlot, ReaderSeesNothingBeforeTheFirstPublish) {
  SnapshotSlot<Tables> slot;
  SnapshotReader<Tables> reader(&slot);
  EXPECT_EQ(reader.Current(), nullptr);
}

TEST(SnapshotSlot, ReaderKeepsItsSnapshotAliveUntilItRefreshes) {
  SnapshotSlot<Tables> slot;
  SnapshotReader<Tables> reader(&slot);
  auto first = std::make_shared<const Tables>(Tables{1});
  std::weak_ptr<const Tables> watch = first;
  slot.Publish(std::move(first));
  EXPECT_EQ(reader.Current()->period, 1);
  slot.Publish(std::make_shared<const Tables>(Tables{2}));
  EXPECT_FALSE(watch.expired());  // the reader still holds period 1
  EXPECT_EQ(reader.Current()->period, 2);
  EXPECT_TRUE(watch.expired());  // freed by the reader's refresh
}

TEST(SnapshotSlot, ConcurrentPublishAndReadSeesPeriodsInOrder) {
  SnapshotSlot<Tables> slot;
  slot.Publish(std::make_shared<const Tables>(Tables{0}));
  constexpr int kPeriods = 20000;
  std::thread publisher([&] {
    for (int p = 1; p <= kPeriods; ++p) slot.Publish(std::make_shared<const Tables>(Tables{p}));
  });
  SnapshotReader<Tables> reader(&slot);
  int last = 0;
  while (last < kPeriods) {
    const int p = reader.Current()->period;
    ASSERT_GE(p, last);
    last = p;
  }
  publisher.join();
}

}  // namespace
}  // namespace dmpd::lb
