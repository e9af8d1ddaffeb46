// SPDX-License-Identifier: BSD-3-Clause
#include "tools/dmpd-perf/perf_report.h"

#include <gtest/gtest.h>

namespace dmpd::perf {
namespace {

using nlohmann::json;

TEST(ResultTable, RoundsWhatItShowsAndKeepsWholeNumbers) {
  json r = json::object();
  r["mode"] = "ping";
  r["sent"] = 3;
  r["msgs_per_s"] = 123456.789123;
  r["elapsed_s"] = 0.0123456;
  r["latency_us"] = {{"min", 0.0}, {"p50", 12.3456}, {"max", 4321.987}};
  r["sender"] = nullptr;
  EXPECT_EQ(ResultTable(r),
            "elapsed_s        0.012\n"
            "latency_us       max 4322  min 0.000  p50 12.3\n"
            "mode             ping\n"
            "msgs_per_s       123457\n"
            "sender           -\n"
            "sent             3\n");
}

TEST(Shortfall, RecvSaysWhatWasLostOrThatNothingCame) {
  EXPECT_EQ(RecvShortfall(100, 100, 0, 0, 0, 5), "");
  EXPECT_EQ(RecvShortfall(100, 97, 3, 0, 0, 5), "3 of 100 messages lost");
  EXPECT_EQ(RecvShortfall(100, 97, 3, 1, 0, 5), "3 of 100 messages lost, 1 corrupt");
  EXPECT_EQ(RecvShortfall(100, 0, 100, 0, 0, 5), "100 of 100 messages lost");
  EXPECT_EQ(RecvShortfall(0, 0, 0, 0, 500, 5), "");  // an echo for pings only
  EXPECT_EQ(RecvShortfall(0, 0, 0, 0, 0, 2),
            "received nothing (waited 2 s of silence): is the sender running, and sending to "
            "this node and pipe?");
}

TEST(Shortfall, PingWithNoAnswerSaysWhetherThereWasARoute) {
  EXPECT_EQ(PingShortfall(3, 2, 0, 2, 7), "");
  EXPECT_EQ(PingShortfall(3, 0, 3, 9, 7),
            "no route to node 9: it is not in this node's cluster view nor heard on any port");
  EXPECT_EQ(PingShortfall(3, 0, 0, 2, 99),
            "no answer to 3 pings from node 2 pipe 99: is `dmpd-perf recv --pipe 99` (or an "
            "echo) running there?");
}

TEST(Shortfall, SendFailsOnlyForMessagesWithNoRoute) {
  EXPECT_EQ(SendShortfall(1000, 0, 2), "");
  EXPECT_EQ(SendShortfall(1000, 1000, 9),
            "1000 of 1000 messages had no route to node 9: it is not in this node's cluster "
            "view nor heard on any port");
}

}  // namespace
}  // namespace dmpd::perf
