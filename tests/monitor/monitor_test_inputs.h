// SPDX-License-Identifier: BSD-3-Clause
// A NodeMonitor over a fixture tree and the daemon inputs of a veth port, shared by the
// tests that need a realistic NodeSample.
#ifndef DMPD_TESTS_MONITOR_MONITOR_TEST_INPUTS_H_
#define DMPD_TESTS_MONITOR_MONITOR_TEST_INPUTS_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "tests/monitor/fake_link_params_reader.h"
#include "tests/monitor/fixture_tree.h"
#include "userspace/monitor/node_monitor.h"

namespace dmpd::monitor::testing {

inline const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

inline std::unique_ptr<NodeMonitor> MakeMonitor(const FixtureTree& tree,
                                                size_t history_length = 300) {
  MonitorConfig config;
  config.procfs_root = tree.proc();
  config.sysfs_root = tree.sys();
  config.history_length = history_length;
  config.static_info.node_num = 1;
  config.static_info.node_name = "n1";
  config.static_info.configured_ports = {"n1p0", "eth1"};
  absl::StatusOr<std::unique_ptr<NodeMonitor>> m =
      NodeMonitor::Create(config, std::make_unique<FakeLinkParamsReader>());
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

// The veth port n1p0 (no link speed, 100 Mb/s configured) with one PMD queue.
inline PortInput VethPort(uint64_t rx_packets, uint64_t rx_bytes, uint64_t tx_packets,
                          uint64_t tx_bytes, uint64_t imissed,
                          std::optional<double> cluster_loss) {
  PortInput p;
  p.name = "n1p0";
  PmdStats q;
  q.rx_packets = rx_packets;
  q.rx_bytes = rx_bytes;
  q.tx_packets = tx_packets;
  q.tx_bytes = tx_bytes;
  q.imissed = imissed;
  q.xstats = {{"rx_good_packets", rx_packets}};
  p.queues = {q};
  dmpd_steer_counters xdp{};
  xdp.redirected_data = rx_packets + imissed;
  xdp.passed_to_kernel = 7;
  p.xdp = xdp;
  p.configured_bandwidth_bits_per_second = 1e8;
  p.cluster_loss_ratio = cluster_loss;
  return p;
}

}  // namespace dmpd::monitor::testing

#endif  // DMPD_TESTS_MONITOR_MONITOR_TEST_INPUTS_H_
