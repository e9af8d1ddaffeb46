// SPDX-License-Identifier: BSD-3-Clause
// NodeMonitor over a fixture tree with daemon inputs: the three port views side by side,
// the paper's formulas end to end, resets, lcores, history and health. Expected values are
// worked out in the comments.
#include "userspace/monitor/node_monitor.h"

#include <gtest/gtest.h>

#include <memory>

#include "tests/monitor/fixture_tree.h"
#include "tests/monitor/monitor_test_inputs.h"

namespace dmpd::monitor {
namespace {

using testing::FixtureTree;
using testing::kT0;
using testing::MakeMonitor;
using testing::VethPort;

void SetKernelRx(const FixtureTree& tree, uint64_t bytes, uint64_t packets) {
  tree.Write("sys/class/net/n1p0/statistics/rx_bytes", std::to_string(bytes) + "\n");
  tree.Write("sys/class/net/n1p0/statistics/rx_packets", std::to_string(packets) + "\n");
}

TEST(NodeMonitor, RejectsBadConfiguration) {
  MonitorConfig c;
  c.load_weights = {0.9, 0.09, 0.07};
  EXPECT_FALSE(NodeMonitor::Create(c, nullptr).ok());
  c = {};
  c.interval = absl::ZeroDuration();
  EXPECT_FALSE(NodeMonitor::Create(c, nullptr).ok());
  c = {};
  c.history_length = 0;
  EXPECT_FALSE(NodeMonitor::Create(c, nullptr).ok());
}

TEST(NodeMonitor, PortViewsAndPaperFormulas) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  EXPECT_EQ(m->Latest(), nullptr);

  SampleInputs in;
  in.ports = {VethPort(0, 0, 0, 0, 0, 0)};
  m->Sample(kT0, in);
  {
    auto s = m->Latest();
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->ports.size(), 1u);
    const PortSample& p = s->ports[0];
    EXPECT_TRUE(p.up);
    EXPECT_TRUE(p.kernel.present);
    EXPECT_FALSE(p.kernel.speed_mbps.has_value());  // veth: EINVAL
    EXPECT_DOUBLE_EQ(*p.bandwidth_bits_per_second, 1e8);
    EXPECT_TRUE(p.bandwidth_configured);
    EXPECT_FALSE(p.utilisation_ratio.has_value());  // no interval yet
    EXPECT_FALSE(p.load.has_value());
    ASSERT_TRUE(p.kernel.channels.has_value());
    EXPECT_EQ(p.kernel.channels->rx, 2u);
    EXPECT_FALSE(p.kernel.rings.has_value());  // veth has no ring parameters
  }

  // One second later: the PMD received 990 frames, 1,250,000 B (1e7 bits) and missed 10;
  // it sent 1000 frames of 125 B (1e6 bits); the cluster measured 5 % loss; the kernel saw
  // 1000 frames, 1,312,500 B (1.05e7 bits) on n1p0.
  SetKernelRx(tree, 5'000'000 + 1'312'500, 5000 + 1000);
  in.ports = {VethPort(990, 1'250'000, 1000, 125'000, 10, 0.05)};
  m->Sample(kT0 + absl::Seconds(1), in);
  {
    auto s = m->Latest();
    const PortSample& p = s->ports[0];
    EXPECT_DOUBLE_EQ(*s->interval_seconds, 1.0);
    // eq. (1) cumulative: (1,250,000 + 125,000) × 8 = 11,000,000 bits.
    EXPECT_EQ(p.traffic_bits, 11'000'000u);
    EXPECT_DOUBLE_EQ(*p.receive_bits_per_second, 1e7);
    EXPECT_DOUBLE_EQ(*p.transmit_bits_per_second, 1e6);
    // eq. (3): 1.1e7 bit/s / 1e8 = 0.11; the kernel's view 1.05e7 / 1e8 = 0.105.
    EXPECT_DOUBLE_EQ(*p.utilisation_ratio, 0.11);
    EXPECT_DOUBLE_EQ(*p.kernel_utilisation_ratio, 0.105);
    // eq. (2): as the cluster measured it.
    EXPECT_DOUBLE_EQ(*p.loss_ratio, 0.05);
    // Overflow: imissed 10 over 990 (PMD) + 1000 (kernel) received + 10: 10/2000.
    EXPECT_DOUBLE_EQ(*p.overflow_ratio, 0.005);
    // eq. (5): 0.84 × max(0.11, 0.105) + 0.09 × 0.05 + 0.07 × 0.005
    //        = 0.0924 + 0.0045 + 0.00035 = 0.09725; eq. (6) first: the same.
    EXPECT_NEAR(*p.instant_load, 0.09725, 1e-12);
    EXPECT_NEAR(*p.load, 0.09725, 1e-12);
    // The three sources, each telling its part.
    EXPECT_EQ(p.pmd.total[PmdCounter::imissed], 10u);
    EXPECT_DOUBLE_EQ(*p.kernel.counters.per_second[KernelCounter::rx_bytes], 1'312'500.0);
    ASSERT_TRUE(p.xdp.has_value());
    EXPECT_DOUBLE_EQ(*p.xdp->per_second[XdpCounter::redirected_data], 1000.0);
    ASSERT_EQ(p.pmd_queues.size(), 1u);
    EXPECT_EQ(p.pmd_queues[0].xstats[0].second, 990u);
  }

  // Another second: twice the receive rate, no loss, no overflow.
  // PMD +2000 frames, +2,500,000 B (2e7 bits) rx, +125,000 B tx; kernel +2,625,000 B.
  SetKernelRx(tree, 6'312'500 + 2'625'000, 6000 + 2000);
  in.ports = {VethPort(2990, 3'750'000, 2000, 250'000, 10, 0.0)};
  m->Sample(kT0 + absl::Seconds(2), in);
  {
    const PortSample& p = m->Latest()->ports[0];
    // U = 2.1e7 / 1e8 = 0.21 (both views agree); loss 0; overflow 0.
    EXPECT_DOUBLE_EQ(*p.utilisation_ratio, 0.21);
    EXPECT_DOUBLE_EQ(*p.loss_ratio, 0.0);
    EXPECT_DOUBLE_EQ(*p.overflow_ratio, 0.0);
    // eq. (5): 0.84 × 0.21 = 0.1764; eq. (6): 0.8 × 0.1764 + 0.2 × 0.09725 = 0.16057.
    EXPECT_NEAR(*p.instant_load, 0.1764, 1e-12);
    EXPECT_NEAR(*p.load, 0.16057, 1e-12);
  }
}

TEST(NodeMonitor, RestartedPmdGivesNoNegativeOrHugeRate) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  SampleInputs in;
  in.ports = {VethPort(1'000'000, 1'000'000'000, 0, 0, 0, std::nullopt)};
  m->Sample(kT0, in);
  // The PMD restarted: its counters start from 0 and read 1000 frames, 125,000 B now.
  in.ports = {VethPort(1000, 125'000, 0, 0, 0, std::nullopt)};
  m->Sample(kT0 + absl::Seconds(1), in);
  auto s = m->Latest();
  const PortSample& p = s->ports[0];
  // Counted from 0: 125,000 B = 1e6 bits in 1 s over 1e8: 0.01.
  EXPECT_DOUBLE_EQ(*p.receive_bits_per_second, 1e6);
  EXPECT_DOUBLE_EQ(*p.utilisation_ratio, 0.01);
  EXPECT_FALSE(p.loss_ratio.has_value());  // no peer report
  EXPECT_GE(s->self.counter_resets, 2u);
}

TEST(NodeMonitor, NicWithLinkSpeedAndMissingInterface) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  SampleInputs in;
  PortInput eth1;
  eth1.name = "eth1";
  eth1.queues.resize(2);
  eth1.configured_bandwidth_bits_per_second = 1e8;  // ignored: the NIC reports 10 Gb/s
  PortInput gone;
  gone.name = "n1p9";  // not in this namespace
  in.ports = {eth1, gone};
  m->Sample(kT0, in);
  eth1.queues[0].rx_bytes = 625'000'000;  // 5e9 bits
  eth1.queues[1].tx_bytes = 625'000'000;  // 5e9 bits
  in.ports = {eth1, gone};
  m->Sample(kT0 + absl::Seconds(1), in);
  auto s = m->Latest();
  const PortSample& p = s->ports[0];
  EXPECT_DOUBLE_EQ(*p.bandwidth_bits_per_second, 1e10);
  EXPECT_FALSE(p.bandwidth_configured);
  // eq. (1) over both queues: 1e10 bits; eq. (3): 1e10 / 1 s / 1e10 = 1.0.
  EXPECT_EQ(p.traffic_bits, 10'000'000'000u);
  EXPECT_DOUBLE_EQ(*p.utilisation_ratio, 1.0);
  ASSERT_TRUE(p.kernel.rings.has_value());
  EXPECT_EQ(p.kernel.rings->rx_entries, 512u);
  EXPECT_EQ(p.kernel.channels->combined, 8u);
  const PortSample& q = s->ports[1];
  EXPECT_FALSE(q.kernel.present);
  EXPECT_FALSE(q.up);
  EXPECT_FALSE(q.kernel.counters.total[KernelCounter::rx_bytes].has_value());
  EXPECT_FALSE(q.bandwidth_bits_per_second.has_value());
}

TEST(NodeMonitor, LcoresBusyRatioAndStall) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  SampleInputs in;
  in.lcores = {{0, "control", 0, 0, 0}, {1, "worker", 100, 1000, 10}};
  m->Sample(kT0, in);
  // lcore 1: +300 busy polls and +700 empty polls: busy 0.3.
  in.lcores = {{0, "control", 0, 0, 0}, {1, "worker", 5100, 1700, 310}};
  m->Sample(kT0 + absl::Seconds(1), in);
  auto s = m->Latest();
  ASSERT_EQ(s->lcores.size(), 2u);
  EXPECT_DOUBLE_EQ(*s->lcores[1].busy_ratio, 0.3);
  EXPECT_DOUBLE_EQ(*s->lcores[1].counters.per_second[LcoreCounter::packets], 5000.0);
  EXPECT_EQ(s->lcores[1].since_progress, absl::ZeroDuration());
  // The worker stops: its counters stay put for 6 s (stall time 5 s by default).
  for (int i = 2; i <= 7; ++i) m->Sample(kT0 + absl::Seconds(i), in);
  s = m->Latest();
  EXPECT_EQ(s->lcores[1].since_progress, absl::Seconds(6));
  EXPECT_FALSE(s->health.healthy);
  bool stalled = false;
  for (const HealthReason& r : s->health.reasons) {
    stalled |= r.check == HealthCheck::kLcoreStalled;
  }
  EXPECT_TRUE(stalled);
}

TEST(NodeMonitor, PipesEmptyUntilThePipesModuleReports) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  m->Sample(kT0, {});
  EXPECT_TRUE(m->Latest()->pipes.empty());

  struct OnePipe : PipeStatsSource {
    std::vector<PipeStats> PipeSnapshot() const override {
      PipeStats p;
      p.id = 3;
      p.name = "app3";
      p.state = "open";
      p.priority = 1;
      p.capacity_bytes = 1024;
      p.fill_bytes = 256;
      p.tx_messages = sent;
      return {p};
    }
    uint64_t sent = 0;
  } pipes;
  SampleInputs in;
  in.pipes = &pipes;
  m->Sample(kT0 + absl::Seconds(1), in);
  pipes.sent = 500;
  m->Sample(kT0 + absl::Seconds(2), in);
  auto s = m->Latest();
  ASSERT_EQ(s->pipes.size(), 1u);
  EXPECT_DOUBLE_EQ(*s->pipes[0].fill_ratio, 0.25);  // 256 / 1024
  EXPECT_DOUBLE_EQ(*s->pipes[0].counters.per_second[PipeCounter::tx_messages], 500.0);
}

TEST(NodeMonitor, HistoryIsBoundedAndQueryable) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree, /*history_length=*/3);
  SampleInputs in;
  for (int i = 0; i < 5; ++i) {
    in.ports = {VethPort(0, 125'000ull * i, 0, 0, 0, std::nullopt)};
    m->Sample(kT0 + absl::Seconds(i), in);
  }
  absl::StatusOr<std::vector<PortHistoryEntry>> h = m->PortHistory("n1p0");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);  // samples 2, 3, 4
  EXPECT_EQ(h->front().time, kT0 + absl::Seconds(2));
  EXPECT_DOUBLE_EQ(*h->back().receive_bits_per_second, 1e6);  // 125,000 B/s
  EXPECT_EQ(m->PortHistory("n1p0", 1)->size(), 1u);
  EXPECT_FALSE(m->PortHistory("nope").ok());
  EXPECT_EQ(m->NodeHistory().size(), 3u);
  EXPECT_EQ(m->NextSampleDue(kT0), kT0 + absl::Seconds(5));
}

TEST(NodeMonitor, StaticInfo) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  m->Sample(kT0, {});
  const StaticInfo& st = m->Latest()->static_info;
  EXPECT_EQ(st.node_num, 1u);
  EXPECT_EQ(st.configured_ports.size(), 2u);
  EXPECT_EQ(st.hugepage_size_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(st.hugepages_total, 512u);
}

}  // namespace
}  // namespace dmpd::monitor
