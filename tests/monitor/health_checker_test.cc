// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/health_checker.h"

#include <gtest/gtest.h>

namespace dmpd::monitor {
namespace {

NodeSample HealthySample() {
  NodeSample s;
  s.ports.resize(2);
  s.ports[0].name = "p0";
  s.ports[0].up = true;
  s.ports[1].name = "p1";
  s.ports[1].up = false;
  s.system.memory_utilisation_ratio = 0.5;
  s.system.cpu_utilisation_ratio = 0.5;
  s.lcores = {{1, "worker", {}, std::nullopt, absl::Seconds(1)}};
  return s;
}

std::vector<HealthCheck> Checks(const HealthVerdict& v) {
  std::vector<HealthCheck> out;
  for (const HealthReason& r : v.reasons) out.push_back(r.check);
  return out;
}

TEST(HealthChecker, RejectsBadConfiguration) {
  HealthConfig c;
  c.sustained_samples = 0;
  EXPECT_FALSE(HealthChecker::Create(c).ok());
  c = {};
  c.max_memory_utilisation_ratio = 1.5;
  EXPECT_FALSE(HealthChecker::Create(c).ok());
  c = {};
  c.lcore_stall_after = absl::ZeroDuration();
  EXPECT_FALSE(HealthChecker::Create(c).ok());
}

TEST(HealthChecker, HealthyWhenOnePortIsUp) {
  HealthChecker h = *HealthChecker::Create({});
  const HealthVerdict v = h.Evaluate(HealthySample());
  EXPECT_TRUE(v.healthy);
  EXPECT_TRUE(v.reasons.empty());
}

TEST(HealthChecker, AllLanPortsDown) {
  HealthChecker h = *HealthChecker::Create({});
  NodeSample s = HealthySample();
  s.ports[0].up = false;
  const HealthVerdict v = h.Evaluate(s);
  EXPECT_FALSE(v.healthy);
  EXPECT_EQ(Checks(v), std::vector<HealthCheck>{HealthCheck::kLanPortsDown});
  EXPECT_EQ(v.reasons[0].detail, "all 2 LAN ports are down");
  EXPECT_EQ(HealthCheckName(v.reasons[0].check), "lan_ports_down");
}

TEST(HealthChecker, StalledWorkerButNotTheControlLcore) {
  HealthChecker h = *HealthChecker::Create({});
  NodeSample s = HealthySample();
  s.lcores = {{0, "control", {}, std::nullopt, absl::Seconds(60)},
              {2, "worker", {}, std::nullopt, absl::Seconds(7)}};
  const HealthVerdict v = h.Evaluate(s);
  ASSERT_EQ(Checks(v), std::vector<HealthCheck>{HealthCheck::kLcoreStalled});
  EXPECT_EQ(v.reasons[0].detail, "lcore 2 made no progress for 7s");
}

TEST(HealthChecker, MemoryAtOnceCpuOnlySustained) {
  HealthConfig c;
  c.max_cpu_utilisation_ratio = 0.9;
  c.sustained_samples = 3;
  HealthChecker h = *HealthChecker::Create(c);
  NodeSample s = HealthySample();
  s.system.memory_utilisation_ratio = 0.97;
  s.system.cpu_utilisation_ratio = 0.95;
  EXPECT_EQ(Checks(h.Evaluate(s)), std::vector<HealthCheck>{HealthCheck::kMemoryHigh});
  EXPECT_EQ(Checks(h.Evaluate(s)), std::vector<HealthCheck>{HealthCheck::kMemoryHigh});
  EXPECT_EQ(Checks(h.Evaluate(s)),
            (std::vector<HealthCheck>{HealthCheck::kMemoryHigh, HealthCheck::kCpuHigh}));
  // One sample below the limit starts the count again.
  s.system.cpu_utilisation_ratio = 0.5;
  s.system.memory_utilisation_ratio = 0.5;
  EXPECT_TRUE(h.Evaluate(s).healthy);
  s.system.cpu_utilisation_ratio = 0.95;
  EXPECT_TRUE(h.Evaluate(s).healthy);
}

TEST(HealthChecker, SustainedLossPerPortAndNotAvailableIsNotLoss) {
  HealthConfig c;
  c.max_loss_ratio = 0.2;
  c.sustained_samples = 2;
  HealthChecker h = *HealthChecker::Create(c);
  NodeSample s = HealthySample();
  s.ports[0].loss_ratio = 0.5;
  EXPECT_TRUE(h.Evaluate(s).healthy);
  const HealthVerdict v = h.Evaluate(s);
  ASSERT_EQ(Checks(v), std::vector<HealthCheck>{HealthCheck::kSustainedLoss});
  EXPECT_EQ(v.reasons[0].detail, "port p0 loses 50.0% (limit 20.0%) for 2 samples");
  s.ports[0].loss_ratio.reset();  // no peer report: no evidence of loss
  EXPECT_TRUE(h.Evaluate(s).healthy);
}

TEST(HealthChecker, ConfiguredPortsMissingFromTheSampleAreDown) {
  HealthChecker h = *HealthChecker::Create({});
  NodeSample s;
  s.static_info.configured_ports = {"p0"};
  EXPECT_EQ(Checks(h.Evaluate(s)), std::vector<HealthCheck>{HealthCheck::kLanPortsDown});
  NodeSample none;  // a node without LAN ports has nothing to be down
  EXPECT_TRUE(h.Evaluate(none).healthy);
}

}  // namespace
}  // namespace dmpd::monitor
