// SPDX-License-Identifier: BSD-3-Clause
// The CPU cost of one full monitoring sample of a node with 8 ports (collectors, formulas,
// history, health), and of rendering it. Not a test: run it by hand, on a build without
// sanitizers, e.g. build-rel/tests/monitor/node_monitor_benchmark.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tests/monitor/fake_link_params_reader.h"
#include "tests/monitor/fixture_tree.h"
#include "userspace/monitor/monitor_views.h"
#include "userspace/monitor/node_monitor.h"
#include "userspace/monitor/prometheus_exposition.h"

namespace dmpd::monitor {
namespace {

constexpr int kPorts = 8;

// The sensors_host tree with 8 veth-like ports p0..p7 (copies of n1p0).
struct EightPortTree {
  EightPortTree() {
    for (int i = 0; i < kPorts; ++i) {
      std::filesystem::copy(tree.sys() / "class/net/n1p0",
                            tree.sys() / absl::StrCat("class/net/p", i),
                            std::filesystem::copy_options::recursive);
    }
  }
  testing::FixtureTree tree{"sensors_host"};
};

SampleInputs Inputs(uint64_t step) {
  SampleInputs in;
  for (int i = 0; i < kPorts; ++i) {
    PortInput p;
    p.name = absl::StrCat("p", i);
    PmdStats q;
    q.rx_packets = step * 1000;
    q.rx_bytes = step * 1'250'000;
    q.tx_packets = step * 1000;
    q.tx_bytes = step * 125'000;
    q.xstats = {{"rx_good_packets", q.rx_packets}, {"tx_good_packets", q.tx_packets}};
    p.queues = {q};
    p.xdp = dmpd_steer_counters{};
    p.configured_bandwidth_bits_per_second = 1e9;
    p.cluster_loss_ratio = 0.01;
    in.ports.push_back(std::move(p));
  }
  in.lcores = {{0, "control", 0, 0, 0}, {1, "worker", step * 8000, step * 10, step * 100}};
  return in;
}

std::unique_ptr<NodeMonitor> Monitor(const std::filesystem::path& proc,
                                     const std::filesystem::path& sys,
                                     std::unique_ptr<LinkParamsReader> link) {
  MonitorConfig c;
  c.procfs_root = proc;
  c.sysfs_root = sys;
  return *NodeMonitor::Create(c, std::move(link));
}

void RunSamples(benchmark::State& state, NodeMonitor& m) {
  uint64_t step = 0;
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  for (auto _ : state) {
    state.PauseTiming();
    const SampleInputs in = Inputs(++step);
    now += absl::Seconds(1);
    state.ResumeTiming();
    m.Sample(now, in);
  }
}

// Everything from fixture files; the ring/channel reader faked.
void BM_FullSample8Ports_Fixture(benchmark::State& state) {
  EightPortTree t;
  auto m = Monitor(t.tree.proc(), t.tree.sys(), std::make_unique<testing::FakeLinkParamsReader>());
  RunSamples(state, *m);
}
BENCHMARK(BM_FullSample8Ports_Fixture)->Unit(benchmark::kMicrosecond);

// This host's real /proc (hundreds of processes to count, real /proc/stat) and two ethtool
// ioctls per port (failing fast: the fixture ports do not exist in this namespace).
void BM_FullSample8Ports_LiveProc(benchmark::State& state) {
  EightPortTree t;
  auto m = Monitor("/proc", t.tree.sys(), *EthtoolLinkParamsReader::Create());
  RunSamples(state, *m);
}
BENCHMARK(BM_FullSample8Ports_LiveProc)->Unit(benchmark::kMicrosecond);

void BM_RenderPrometheus8Ports(benchmark::State& state) {
  EightPortTree t;
  auto m = Monitor(t.tree.proc(), t.tree.sys(), std::make_unique<testing::FakeLinkParamsReader>());
  m->Sample(absl::FromUnixSeconds(1), Inputs(1));
  m->Sample(absl::FromUnixSeconds(2), Inputs(2));
  const auto s = m->Latest();
  size_t bytes = 0;
  for (auto _ : state) bytes = RenderPrometheus(*s).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderPrometheus8Ports)->Unit(benchmark::kMicrosecond);

void BM_PortsTable8Ports(benchmark::State& state) {
  EightPortTree t;
  auto m = Monitor(t.tree.proc(), t.tree.sys(), std::make_unique<testing::FakeLinkParamsReader>());
  m->Sample(absl::FromUnixSeconds(1), Inputs(1));
  m->Sample(absl::FromUnixSeconds(2), Inputs(2));
  const auto s = m->Latest();
  for (auto _ : state) benchmark::DoNotOptimize(FormatPortsTable(PortsView(*s)));
}
BENCHMARK(BM_PortsTable8Ports)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dmpd::monitor

BENCHMARK_MAIN();
