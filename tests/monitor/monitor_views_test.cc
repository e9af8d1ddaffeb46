// SPDX-License-Identifier: BSD-3-Clause
// The dmpdctl views: JSON documents from a sample, and tables printed from those documents
// (after a round trip through text, as over the control socket).
#include "userspace/monitor/monitor_views.h"

#include <gtest/gtest.h>

#include "tests/monitor/monitor_test_inputs.h"

namespace dmpd::monitor {
namespace {

using nlohmann::json;
using testing::FixtureTree;
using testing::kT0;
using testing::MakeMonitor;
using testing::VethPort;

class ViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    monitor_ = MakeMonitor(tree_);
    SampleInputs in;
    in.ports = {VethPort(0, 0, 0, 0, 0, std::nullopt)};
    PortInput eth1;
    eth1.name = "eth1";
    eth1.queues.resize(1);
    in.ports.push_back(eth1);
    in.lcores = {{1, "worker", 0, 0, 0}};
    monitor_->Sample(kT0, in);
    tree_.Overlay("sensors_host_t1");
    tree_.Write("sys/class/net/eth1/operstate", "down\n");
    in.ports[0] = VethPort(990, 1'250'000, 1000, 125'000, 10, 0.05);
    in.lcores = {{1, "worker", 100, 70, 30}};
    monitor_->Sample(kT0 + absl::Seconds(1), in);
    sample_ = monitor_->Latest();
  }

  // What dmpdctl gets: the document as text, parsed again.
  static json OverTheWire(const json& j) { return json::parse(j.dump()); }

  FixtureTree tree_{"sensors_host"};
  std::unique_ptr<NodeMonitor> monitor_;
  std::shared_ptr<const NodeSample> sample_;
};

TEST_F(ViewsTest, NodeJson) {
  const json v = NodeView(*sample_);
  EXPECT_EQ(v["node"], "n1");
  EXPECT_EQ(v["cores"], 2);
  EXPECT_DOUBLE_EQ(v["cpu_utilisation_ratio"].get<double>(), 0.45);
  EXPECT_EQ(v["load"], json({0.5, 0.4, 0.3}));
  EXPECT_DOUBLE_EQ(v["memory_utilisation_ratio"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(v["cpu_temperature_celsius"].get<double>(), 53.0);
  EXPECT_DOUBLE_EQ(v["voltages_volts"]["ina3221/VDD_IN"].get<double>(), 12.1);
  EXPECT_EQ(v["static"]["hugepages_total"], 512);
  EXPECT_DOUBLE_EQ(v["lcores"][0]["busy_ratio"].get<double>(), 0.3);  // 30 / (70 + 30)
  EXPECT_TRUE(v["pipes"].empty());
  EXPECT_EQ(v["time"], "2023-11-14T22:13:21.000Z");
}

TEST_F(ViewsTest, NodeJsonWithoutSensorsHasNulls) {
  FixtureTree vm("bare_vm");
  auto m = MakeMonitor(vm);
  m->Sample(kT0, {});
  const json v = NodeView(*m->Latest());
  EXPECT_TRUE(v["cpu_temperature_celsius"].is_null());
  EXPECT_TRUE(v["cpu_utilisation_ratio"].is_null());  // first sample
  EXPECT_TRUE(v["voltages_volts"].empty());
  EXPECT_NE(FormatNodeTable(v).find("-"), std::string::npos);
}

TEST_F(ViewsTest, PortsJsonHasTheThreeSources) {
  const json v = PortsView(*sample_);
  ASSERT_EQ(v["ports"].size(), 2u);
  const json& p = v["ports"][0];
  EXPECT_EQ(p["port"], "n1p0");
  EXPECT_EQ(p["up"], true);
  EXPECT_EQ(p["bandwidth_source"], "configured");
  EXPECT_DOUBLE_EQ(p["utilisation_ratio"].get<double>(), 0.11);
  EXPECT_DOUBLE_EQ(p["loss_ratio"].get<double>(), 0.05);
  EXPECT_EQ(p["pmd"]["counters"]["imissed"]["total"], 10);
  EXPECT_DOUBLE_EQ(p["pmd"]["counters"]["rx_packets"]["per_second"].get<double>(), 990.0);
  EXPECT_EQ(p["pmd"]["queues"][0]["xstats"]["rx_good_packets"], 990);
  // The overlay moved n1p0's /proc/net/dev line, not its sysfs counters: the kernel saw
  // nothing new in this interval.
  EXPECT_DOUBLE_EQ(p["kernel"]["counters"]["rx_bytes"]["per_second"].get<double>(), 0.0);
  EXPECT_TRUE(p["kernel"]["speed_mbps"].is_null());
  EXPECT_TRUE(p["kernel"]["rings"].is_null());
  EXPECT_EQ(p["kernel"]["channels"]["rx"], 2);
  EXPECT_DOUBLE_EQ(p["xdp"]["counters"]["redirected_data"]["per_second"].get<double>(), 1000.0);
  const json& e = v["ports"][1];
  EXPECT_EQ(e["up"], false);
  EXPECT_EQ(e["bandwidth_source"], "link");
  EXPECT_TRUE(e["xdp"].is_null());
  EXPECT_EQ(e["kernel"]["rings"]["rx_max"], 4096);
}

TEST_F(ViewsTest, NodeTableLikeThePapersTable3) {
  const std::string t = FormatNodeTable(OverTheWire(json::array({NodeView(*sample_)})));
  // Header, then one row: 2 cores, 45 % CPU, load, 7.6 GiB (8,000,000 KiB), 25 % memory,
  // 53 °C, 25 % I/O, 11.5 Mb/s in and 0.5 out (eth0 1.0 + n1p0 10.5).
  EXPECT_NE(t.find("NODE  CORES  CPU%"), std::string::npos) << t;
  EXPECT_NE(t.find("n1    2      45.0  0.50/0.40/0.30  7.6 GiB"), std::string::npos) << t;
  EXPECT_NE(t.find("25.0  53.0    25.0  11.5         0.5          3      345      ok"),
            std::string::npos)
      << t;
  // (eth1 is down but n1p0 is up: healthy.)
}

TEST_F(ViewsTest, PortsTableLikeThePapersTable4) {
  const std::string t = FormatPortsTable(OverTheWire(PortsView(*sample_)));
  // State bits "10": n1p0 up, eth1 down; n1p0 rate 11.0 Mb/s at 11.0 %; eth1 idle.
  EXPECT_NE(t.find("n1    2      10     11.0 0.0"), std::string::npos) << t;
  EXPECT_NE(t.find("11.0 0.0"), std::string::npos) << t;
  EXPECT_NE(t.find("n1p0  1   100.0*"), std::string::npos) << t;
  EXPECT_NE(t.find("eth1  0   10000.0"), std::string::npos) << t;
  EXPECT_NE(t.find("512/512"), std::string::npos) << t;
  EXPECT_EQ(t, FormatPortsTable(PortsView(*sample_)));  // same data, same table
}

// The footnote explains a mark, so it comes with a marked row only: ports whose bandwidth
// is the link's own speed have neither.
TEST_F(ViewsTest, PortsTableFootnoteOnlyUnderAStarredRow) {
  json v = OverTheWire(PortsView(*sample_));
  const std::string marked = FormatPortsTable(v);
  EXPECT_NE(marked.find("n1p0  1   100.0*"), std::string::npos) << marked;
  EXPECT_NE(marked.find("\n(* bandwidth"), std::string::npos) << marked;
  v["ports"][0]["bandwidth_source"] = "link";
  const std::string plain = FormatPortsTable(v);
  EXPECT_EQ(plain.find('*'), std::string::npos) << plain;
  EXPECT_EQ(plain.find("bandwidth from"), std::string::npos) << plain;
}

// `dmpdctl port-bandwidth` on a port whose link reports its speed (eth1: 10 Gb/s) is marked
// like a configured one from the next sample on.
TEST_F(ViewsTest, PortsTableMarksABandwidthSetByHand) {
  SampleInputs in;
  in.ports = {VethPort(990, 1'250'000, 1000, 125'000, 10, 0.05)};
  PortInput eth1;
  eth1.name = "eth1";
  eth1.queues.resize(1);
  eth1.override_bandwidth_bits_per_second = 1e8;
  in.ports.push_back(eth1);
  monitor_->Sample(kT0 + absl::Seconds(2), in);
  const json v = OverTheWire(PortsView(*monitor_->Latest()));
  EXPECT_EQ(v["ports"][1]["bandwidth_source"], "configured");
  const std::string t = FormatPortsTable(v);
  EXPECT_NE(t.find("eth1  0   100.0*"), std::string::npos) << t;
  EXPECT_NE(t.find("port-bandwidth"), std::string::npos) << t;  // the footnote names both
}

// Numbers in tables are rounded to the column's decimals; a ratio computed as a difference
// that comes out a hair below zero is 0, not "-0.0".
TEST_F(ViewsTest, TableNumbersAreRounded) {
  json v = OverTheWire(PortsView(*sample_));
  v["ports"][0]["utilisation_ratio"] = 0.1 + 0.2;  // 0.30000000000000004
  v["ports"][0]["loss_ratio"] = -1e-17;
  v["ports"][0]["load"] = 0.1 + 0.2;
  const std::string t = FormatPortsTable(v);
  EXPECT_EQ(t.find("0.3000"), std::string::npos) << t;
  EXPECT_EQ(t.find("-0"), std::string::npos) << t;
  EXPECT_NE(t.find("30.0"), std::string::npos) << t;
  EXPECT_NE(t.find("0.300"), std::string::npos) << t;
  json n = OverTheWire(NodeView(*sample_));
  n["cpu_temperature_celsius"] = -0.01;
  n["load"] = json::array({0.1 + 0.2, -0.001, 1e-9});
  const std::string node = FormatNodeTable(n);
  EXPECT_NE(node.find("0.30/0.00/0.00"), std::string::npos) << node;
  EXPECT_EQ(node.find("-0"), std::string::npos) << node;
}

TEST_F(ViewsTest, HistoryTable) {
  const auto h = monitor_->PortHistory("n1p0");
  ASSERT_TRUE(h.ok());
  const json v = PortHistoryView(*sample_, "n1p0", *h);
  ASSERT_EQ(v["samples"].size(), 2u);
  EXPECT_TRUE(v["samples"][0]["utilisation_ratio"].is_null());
  const std::string t = FormatPortHistoryTable(OverTheWire(v));
  EXPECT_NE(t.find("node n1 port n1p0"), std::string::npos) << t;
  // Overflow 10 / (990 + 10) = 1 % (the kernel's sysfs counters did not move); load
  // 0.84 × 0.11 + 0.09 × 0.05 + 0.07 × 0.01 = 0.0976.
  EXPECT_NE(t.find("2023-11-14T22:13:21.000Z  1   10.0     1.0      11.0   5.0    1.0   0.098"),
            std::string::npos)
      << t;
}

}  // namespace
}  // namespace dmpd::monitor
