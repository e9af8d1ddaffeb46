// SPDX-License-Identifier: BSD-3-Clause
// A backend's health from its checks: fall failures in a row to go down, rise successes in
// a row to come back; an alternating probe never flaps it.
#include "userspace/vs/health_tracker.h"

#include <gtest/gtest.h>

#include "userspace/vs/service_spec.h"

namespace dmpd::vs {
namespace {

const Endpoint kB{0xc6130b02, 8080};

TEST(HealthTrackerTest, FallsAfterFallFailuresAndRisesAfterRiseSuccesses) {
  HealthTracker h({.rise = 2, .fall = 3});
  EXPECT_TRUE(h.healthy(kB));
  EXPECT_EQ(h.Record(kB, false), std::nullopt);
  EXPECT_EQ(h.Record(kB, false), std::nullopt);
  EXPECT_TRUE(h.healthy(kB));
  EXPECT_EQ(h.Record(kB, false), std::optional<bool>(false));
  EXPECT_FALSE(h.healthy(kB));
  EXPECT_EQ(h.Record(kB, false), std::nullopt);
  EXPECT_EQ(h.Record(kB, true), std::nullopt);
  EXPECT_EQ(h.Record(kB, true), std::optional<bool>(true));
  EXPECT_TRUE(h.healthy(kB));
}

TEST(HealthTrackerTest, AlternatingResultsNeverFlap) {
  HealthTracker h({.rise = 2, .fall = 2});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(h.Record(kB, i % 2 == 0), std::nullopt);
  EXPECT_TRUE(h.healthy(kB));
  h.Forget(kB);
  EXPECT_TRUE(h.healthy(kB));
}

TEST(ServiceSpecTest, ParsesAndFormatsWhatOperatorsWrite) {
  auto s = ParseServiceId("198.19.100.1:80/tcp");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->vip.addr, 0xc6136401u);
  EXPECT_EQ(s->vip.port, 80);
  EXPECT_EQ(FormatServiceId(*s), "198.19.100.1:80/tcp");
  EXPECT_EQ(ParseServiceId("198.19.100.1:53/udp")->proto, kProtoUdp);
  for (const char* bad : {"198.19.100.1:80", "198.19.100.1/tcp", "1.2.3:80/tcp",
                          "198.19.100.1:0/tcp", "198.19.100.1:65536/tcp", "x:80/sctp", ""}) {
    EXPECT_FALSE(ParseServiceId(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatEndpoint(*ParseEndpoint("10.0.0.2:8080")), "10.0.0.2:8080");
  auto r = ParsePortRange("61000-61099");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 61000);
  EXPECT_EQ(r->second, 61099);
  for (const char* bad : {"61099-61000", "0-10", "1-65536", "61000", "a-b"}) {
    EXPECT_FALSE(ParsePortRange(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace dmpd::vs
