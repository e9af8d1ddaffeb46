// SPDX-License-Identifier: BSD-3-Clause
// SystemCollector against fixture trees (fixtures/*: copies of real procfs/sysfs formats).
// Expected values are worked out from the fixture files in the comments.
#include "userspace/monitor/system_collector.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "tests/monitor/fixture_tree.h"

namespace dmpd::monitor {
namespace {

using testing::FixtureTree;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

const InterfaceTraffic* FindInterface(const SystemSample& s, std::string_view name) {
  for (const InterfaceTraffic& t : s.interfaces) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(SystemCollector, FirstSampleHasLevelsButNoRates) {
  FixtureTree tree("sensors_host");
  SystemCollector c(tree.proc(), tree.sys());
  const SystemSample s = c.Collect(kT0);
  EXPECT_EQ(s.cpu_count, 2u);
  EXPECT_FALSE(s.cpu_utilisation_ratio.has_value());  // a delta needs two samples
  EXPECT_DOUBLE_EQ(*s.load1, 0.50);
  EXPECT_DOUBLE_EQ(*s.load5, 0.40);
  EXPECT_DOUBLE_EQ(*s.load15, 0.30);
  EXPECT_EQ(s.processes, 3u);  // proc/1, proc/42, proc/4242
  EXPECT_EQ(s.threads, 345u);  // loadavg "2/345"
  // MemTotal 8,000,000 KiB, MemAvailable 6,000,000 KiB: 1 − 6/8 = 0.25.
  EXPECT_EQ(s.memory_total_bytes, 8'000'000ull * 1024);
  EXPECT_EQ(s.memory_available_bytes, 6'000'000ull * 1024);
  EXPECT_DOUBLE_EQ(*s.memory_utilisation_ratio, 0.25);
  EXPECT_EQ(s.hugepage_size_bytes, 2048u * 1024);
  EXPECT_EQ(s.hugepages_total, 512u);
  EXPECT_EQ(s.hugepages_free, 256u);
  // Only whole disks that are not loop devices: vda (vda1 is a partition).
  ASSERT_EQ(s.disks.size(), 1u);
  EXPECT_EQ(s.disks[0].device, "vda");
  EXPECT_EQ(s.disks[0].io_ticks_ms, 10000u);
  // softnet_stat: processed 0x100 + 0x200 = 768, dropped 2 + 1 = 3, squeezed 3 + 0.
  EXPECT_EQ(s.receive_path.total[ReceivePathCounter::softnet_processed], 768u);
  EXPECT_EQ(s.receive_path.total[ReceivePathCounter::softnet_dropped], 3u);
  EXPECT_EQ(s.receive_path.total[ReceivePathCounter::softnet_time_squeeze], 3u);
  EXPECT_EQ(s.receive_path.total[ReceivePathCounter::softirq_net_rx], 623u + 963u);
  ASSERT_NE(FindInterface(s, "eth0"), nullptr);
  EXPECT_EQ(FindInterface(s, "lo"), nullptr);  // loopback is not network traffic
}

TEST(SystemCollector, SensorsInBaseUnits) {
  FixtureTree tree("sensors_host");
  SystemCollector c(tree.proc(), tree.sys());
  const SystemSample s = c.Collect(kT0);
  // thermal_zone0 (x86_pkg_temp 52.0), thermal_zone1 (acpitz 40.0), coretemp 53.0 and
  // 49.0; temp1_crit is a limit, not a reading.
  ASSERT_EQ(s.temperatures_celsius.size(), 4u);
  EXPECT_EQ(s.temperatures_celsius[0].name, "thermal_zone0/x86_pkg_temp");
  EXPECT_DOUBLE_EQ(s.temperatures_celsius[0].value, 52.0);
  EXPECT_EQ(s.temperatures_celsius[2].name, "coretemp/Package id 0");
  // The hottest CPU sensor: coretemp's package at 53 °C (acpitz is not a CPU sensor).
  EXPECT_DOUBLE_EQ(*s.cpu_temperature_celsius, 53.0);
  // ina3221: 12100 mV, 1500 mA, 18,150,000 µW.
  ASSERT_EQ(s.voltages_volts.size(), 1u);
  EXPECT_EQ(s.voltages_volts[0].name, "ina3221/VDD_IN");
  EXPECT_DOUBLE_EQ(s.voltages_volts[0].value, 12.1);
  ASSERT_EQ(s.currents_amperes.size(), 1u);
  EXPECT_DOUBLE_EQ(s.currents_amperes[0].value, 1.5);
  ASSERT_EQ(s.powers_watts.size(), 1u);
  EXPECT_EQ(s.powers_watts[0].name, "ina3221/power1");  // no label: the channel name
  EXPECT_DOUBLE_EQ(s.powers_watts[0].value, 18.15);
}

TEST(SystemCollector, RatesOverOneSecond) {
  FixtureTree tree("sensors_host");
  SystemCollector c(tree.proc(), tree.sys());
  c.Collect(kT0);
  tree.Overlay("sensors_host_t1");
  const SystemSample s = c.Collect(kT0 + absl::Seconds(1));
  // cpu0: busy +60 user +20 system of +100 jiffies = 0.8; cpu1: +10 of +100 = 0.1;
  // all: +90 busy of +200 = 0.45.
  ASSERT_EQ(s.cores.size(), 2u);
  EXPECT_DOUBLE_EQ(*s.cores[0].utilisation_ratio, 0.8);
  EXPECT_DOUBLE_EQ(*s.cores[1].utilisation_ratio, 0.1);
  EXPECT_DOUBLE_EQ(*s.cpu_utilisation_ratio, 0.45);
  // vda io_ticks 10000 → 10250 ms: 250 ms busy in 1 s = 0.25.
  EXPECT_DOUBLE_EQ(*s.disks[0].utilisation_ratio, 0.25);
  EXPECT_DOUBLE_EQ(*s.io_utilisation_ratio, 0.25);
  // eth0 +125,000 B rx = 1e6 bit/s, +62,500 B tx = 5e5 bit/s; n1p0 +1,312,500 B rx
  // = 1.05e7 bit/s. Total rx 1.15e7, tx 5e5.
  const InterfaceTraffic* eth0 = FindInterface(s, "eth0");
  ASSERT_NE(eth0, nullptr);
  EXPECT_DOUBLE_EQ(*eth0->counters.per_second[KernelCounter::rx_bytes], 125'000.0);
  EXPECT_EQ(eth0->speed_mbps, 1000u);
  EXPECT_DOUBLE_EQ(*s.network_receive_bits_per_second, 1.15e7);
  EXPECT_DOUBLE_EQ(*s.network_transmit_bits_per_second, 5e5);
  // Load over the interfaces with a speed: eth0 (1 Gb/s, 1.5e6 bit/s) and eth1
  // (10 Gb/s, idle); n1p0 has none. 1.5e6 / 1.1e10.
  EXPECT_DOUBLE_EQ(*s.network_load_ratio, 1.5e6 / 1.1e10);
  // softnet processed 768 → 912: 144/s; NET_RX 1586 → 1786: 200/s.
  EXPECT_DOUBLE_EQ(*s.receive_path.per_second[ReceivePathCounter::softnet_processed], 144.0);
  EXPECT_DOUBLE_EQ(*s.receive_path.per_second[ReceivePathCounter::softirq_net_rx], 200.0);
  EXPECT_EQ(s.counter_resets, 0u);
}

TEST(SystemCollector, CounterResetGivesNoNegativeRate) {
  FixtureTree tree("sensors_host");
  SystemCollector c(tree.proc(), tree.sys());
  c.Collect(kT0);
  // eth0 was re-created: its counters start again from 0 and read 4000 bytes now.
  tree.Write("proc/net/dev",
             "Inter-|   Receive |  Transmit\n"
             " face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs "
             "drop fifo colls carrier compressed\n"
             "  eth0:    4000      4    0    0    0     0          0         0     2000       2    "
             "0    0    0     0       0          0\n");
  const SystemSample s = c.Collect(kT0 + absl::Seconds(2));
  const InterfaceTraffic* eth0 = FindInterface(s, "eth0");
  ASSERT_NE(eth0, nullptr);
  // Counted from 0 since the reset: 4000 B in 2 s = 2000 B/s = 16,000 bit/s.
  EXPECT_DOUBLE_EQ(*eth0->counters.per_second[KernelCounter::rx_bytes], 2000.0);
  EXPECT_DOUBLE_EQ(*s.network_receive_bits_per_second, 16'000.0);
  EXPECT_GE(s.counter_resets, 4u);  // rx/tx bytes and packets
}

TEST(SystemCollector, IoTicksWrapAt32Bits) {
  FixtureTree tree("sensors_host");
  const std::string before = " 254       0 vda 1 0 0 0 0 0 0 0 0 4294967000 0 0 0 0 0 0 0\n";
  const std::string after = " 254       0 vda 1 0 0 0 0 0 0 0 0 200 0 0 0 0 0 0 0\n";
  tree.Write("proc/diskstats", before);
  SystemCollector c(tree.proc(), tree.sys());
  c.Collect(kT0);
  tree.Write("proc/diskstats", after);
  const SystemSample s = c.Collect(kT0 + absl::Seconds(1));
  // 4294967295 − 4294967000 = 295 to the top, 1 through 0, 200 after: 496 ms in 1 s.
  ASSERT_EQ(s.disks.size(), 1u);
  EXPECT_DOUBLE_EQ(*s.disks[0].utilisation_ratio, 0.496);
  EXPECT_EQ(s.counter_resets, 0u);
}

TEST(SystemCollector, BareVmHasNoSensorsAndThatIsNotAnError) {
  FixtureTree tree("bare_vm");
  SystemCollector c(tree.proc(), tree.sys());
  const SystemSample s = c.Collect(kT0);
  EXPECT_EQ(s.cpu_count, 1u);
  EXPECT_TRUE(s.temperatures_celsius.empty());
  EXPECT_FALSE(s.cpu_temperature_celsius.has_value());  // not available, not 0
  EXPECT_TRUE(s.voltages_volts.empty());
  EXPECT_TRUE(s.currents_amperes.empty());
  EXPECT_TRUE(s.disks.empty());  // no /proc/diskstats
  EXPECT_FALSE(s.io_utilisation_ratio.has_value());
  EXPECT_FALSE(s.receive_path.total[ReceivePathCounter::softnet_processed].has_value());
  // The rest is read all the same.
  EXPECT_DOUBLE_EQ(*s.load1, 0.04);
  EXPECT_EQ(s.threads, 84u);
  const InterfaceTraffic* eth0 = FindInterface(s, "eth0");
  ASSERT_NE(eth0, nullptr);
  EXPECT_FALSE(eth0->speed_mbps.has_value());  // virtio's speed is -1
  const SystemSample later = c.Collect(kT0 + absl::Seconds(1));
  EXPECT_FALSE(later.network_load_ratio.has_value());  // no interface reports a speed
}

TEST(SystemCollector, EmptyRootsReadAsNotAvailable) {
  SystemCollector c("/nonexistent/proc", "/nonexistent/sys");
  const SystemSample s = c.Collect(kT0);
  EXPECT_FALSE(s.cpu_count.has_value() && *s.cpu_count > 0);
  EXPECT_FALSE(s.load1.has_value());
  EXPECT_FALSE(s.processes.has_value());
  EXPECT_FALSE(s.memory_utilisation_ratio.has_value());
}

TEST(SystemCollector, LiveHostReadsWithoutTrouble) {
  SystemCollector c("/proc", "/sys");
  c.Collect(absl::Now());
  const SystemSample s = c.Collect(absl::Now() + absl::Milliseconds(10));
  ASSERT_TRUE(s.cpu_count.has_value());
  EXPECT_GE(*s.cpu_count, 1u);
  EXPECT_TRUE(s.memory_utilisation_ratio.has_value());
  EXPECT_TRUE(s.processes.has_value());
}

}  // namespace
}  // namespace dmpd::monitor
