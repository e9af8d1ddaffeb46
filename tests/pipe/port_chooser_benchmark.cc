// SPDX-License-Identifier: BSD-3-Clause
// The pipe engine's port choice per message (LB-4, PERF-2): the static hash against the
// load balancer behind BalancedPortChooser (decision cached per key and period, plus the
// checks that its ports are still up and in the route), for a warm key and for a key never
// seen. 4 local ports, a destination of 4 ports. Run from a build without sanitizers:
//   build-bench/tests/pipe/port_chooser_benchmark
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "common/port_info.h"
#include "userspace/pipe/balanced_port_chooser.h"

namespace dmpd::pipe {
namespace {

constexpr uint16_t kPorts = 4;
const std::vector<size_t> kUp{0, 1, 2, 3};

Route PeerRoute() {
  Route r;
  for (uint8_t i = 0; i < kPorts; ++i) r.macs[r.count++] = {0x02, 0, 0, 0, 2, i};
  return r;
}

std::unique_ptr<lb::Balancer> UpdatedBalancer() {
  auto b = *lb::Balancer::Create({});
  std::vector<lb::PortInput> local;
  NodeView peer;
  peer.info.id = 2;
  for (uint16_t i = 0; i < kPorts; ++i) {
    local.push_back({i, {0x02, 0, 0, 0, 1, static_cast<uint8_t>(i)}, true, 0.1 * i, 0});
    PortInfo& p = peer.ports.emplace_back();
    p.id = i;
    p.mac = MacAddress{0x02, 0, 0, 0, 2, static_cast<uint8_t>(i)};
    p.state = kPortUp;
    p.load_ppm = PpmFromRatio(0.1 * i);
  }
  const std::vector<NodeView> views{peer};
  (void)b->Update(local, views, absl::FromUnixSeconds(1));
  return b;
}

// One choice per iteration, for the key `key_of(i)` of iteration i.
template <typename Chooser, typename KeyOf>
void ChooseEach(benchmark::State& state, Chooser& chooser, KeyOf key_of) {
  const Route route = PeerRoute();
  std::array<PortChoice, 4> out;
  uint32_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(chooser.Choose(key_of(i++), 1000, route, kUp, 1, out));
}

// 64 keys in turn.
constexpr auto WarmKey = [](uint32_t i) {
  return lb::BalanceKey{1, 2, static_cast<uint16_t>(i & 63), 7, 1};
};

// Every key new (pipes vary, the destination stays the one with a view): no fallback.
constexpr auto ColdKey = [](uint32_t i) {
  return lb::BalanceKey{1, 2, static_cast<uint16_t>(i), static_cast<uint16_t>(i >> 16), 1};
};

void BM_HashChooser(benchmark::State& state) {
  HashPortChooser chooser;
  ChooseEach(state, chooser, WarmKey);
}
BENCHMARK(BM_HashChooser);

// Each key already decided this period: what nearly every message costs.
void BM_BalancedChooserWarmKey(benchmark::State& state) {
  auto balancer = UpdatedBalancer();
  BalancedPortChooser chooser(*balancer, BalancedPortChooser::Policy::kBalanced);
  ChooseEach(state, chooser, WarmKey);
  state.counters["fallbacks"] = static_cast<double>(chooser.fallbacks());
}
BENCHMARK(BM_BalancedChooserWarmKey);

// A key never seen: hash, steps 2-5, insertion (evicting once the table is full).
void BM_BalancedChooserColdKey(benchmark::State& state) {
  auto balancer = UpdatedBalancer();
  BalancedPortChooser chooser(*balancer, BalancedPortChooser::Policy::kBalanced);
  ChooseEach(state, chooser, ColdKey);
  state.counters["fallbacks"] = static_cast<double>(chooser.fallbacks());
}
BENCHMARK(BM_BalancedChooserColdKey);

}  // namespace
}  // namespace dmpd::pipe

BENCHMARK_MAIN();
