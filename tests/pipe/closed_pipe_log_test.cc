// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/closed_pipe_log.h"

#include <gtest/gtest.h>

namespace dmpd::pipe {
namespace {

using nlohmann::json;

TEST(ClosedPipeLog, KeepsTheFinalCountersWithWhenAndHowNewestFirst) {
  ClosedPipeLog log;
  log.Add({{"pipe", 7}, {"state", "closing"}, {"sent_messages", 200000}}, 1000, "closed");
  log.Add({{"pipe", 8}, {"received_messages", 5}}, 2000, "reclaimed");
  const json j = log.Json();
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["pipe"], 8);
  EXPECT_EQ(j[0]["closed_by"], "reclaimed");
  EXPECT_EQ(j[1]["pipe"], 7);
  EXPECT_EQ(j[1]["state"], "closed");
  EXPECT_EQ(j[1]["closed_unix_ms"], 1000);
  EXPECT_EQ(j[1]["sent_messages"], 200000);
}

TEST(ClosedPipeLog, TheOldestGivesWayWhenFull) {
  ClosedPipeLog log(3);
  for (int p = 1; p <= 5; ++p) log.Add({{"pipe", p}}, p, "closed");
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.forgotten(), 2u);
  const json j = log.Json();
  EXPECT_EQ(j[0]["pipe"], 5);
  EXPECT_EQ(j[2]["pipe"], 3);
  ClosedPipeLog none(0);
  none.Add({{"pipe", 1}}, 1, "closed");
  EXPECT_EQ(none.Json().size(), 0u);
}

}  // namespace
}  // namespace dmpd::pipe
