// SPDX-License-Identifier: BSD-3-Clause
// Per-message costs of the balancer (PERF-2): the Toeplitz hash, and one decision for a
// known key (cached hash, sticky ports checked against the snapshot, MACs filled) and for
// a key never seen (hash computed, ports picked, an assignment inserted or evicted).
// Setup: 8 local ports, 64 destination nodes × 8 ports, as in a 64-node cluster.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "userspace/lb/balancer.h"
#include "userspace/lb/port_picker.h"

namespace dmpd::lb {
namespace {

constexpr int kPorts = 8;
constexpr uint16_t kNodes = 64;

std::vector<PortInput> Ports(uint16_t node) {
  std::vector<PortInput> out;
  for (int i = 0; i < kPorts; ++i) {
    const auto id = static_cast<uint16_t>(i);
    out.push_back(PortInput{id,
                            {0x02, 0, 0, 0, static_cast<uint8_t>(node), static_cast<uint8_t>(i)},
                            true,
                            0.1 + 0.05 * ((i + node) % kPorts),
                            id});
  }
  return out;
}

std::unique_ptr<Balancer> MakeBalancer() {
  auto b = *Balancer::Create({});
  std::vector<DestinationPorts> dests;
  for (uint16_t n = 1; n <= kNodes; ++n) dests.push_back({n, Ports(n)});
  if (!b->Update(Ports(0), dests, absl::UnixEpoch()).ok()) std::abort();
  return b;
}

BalanceKey WarmKey(uint32_t i) {
  return BalanceKey{0, static_cast<uint16_t>(1 + i % kNodes), static_cast<uint16_t>(i / kNodes),
                    static_cast<uint16_t>(i % 7), 1};
}

void BM_ToeplitzHashTable(benchmark::State& state) {
  const ToeplitzHash h = ToeplitzHash::CreateMicrosoftDefault();
  uint32_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(h.Hash(WarmKey(i++)));
}
BENCHMARK(BM_ToeplitzHashTable);

void BM_ToeplitzHashBitwise(benchmark::State& state) {
  uint32_t i = 0;
  for (auto _ : state) {
    const BalanceKeyBytes bytes = SerializeBalanceKey(WarmKey(i++));
    benchmark::DoNotOptimize(ToeplitzHashBitwise(kMicrosoftRssKey, bytes));
  }
}
BENCHMARK(BM_ToeplitzHashBitwise);

// A known key within a period (its decision made earlier this period): what nearly every
// message costs.
void BM_DecideWarmKey(benchmark::State& state) {
  auto b = MakeBalancer();
  const auto n_keys = static_cast<uint32_t>(state.range(0));
  for (uint32_t i = 0; i < n_keys; ++i) b->Decide(WarmKey(i));
  uint32_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b->Decide(WarmKey(i)));
    if (++i == n_keys) i = 0;
  }
  state.counters["new_keys"] = static_cast<double>(b->counters().new_keys);
}
BENCHMARK(BM_DecideWarmKey)->Arg(1)->Arg(1024);

// The first message of each known key after a load update: cached hash, ports checked
// against the new snapshot (re-picked if need be), MACs filled. Time is per 1024 decisions;
// items_per_second per decision.
void BM_DecideKnownKeyNewPeriod(benchmark::State& state) {
  auto b = MakeBalancer();
  constexpr uint32_t kKeys = 1024;
  for (uint32_t i = 0; i < kKeys; ++i) b->Decide(WarmKey(i));
  std::vector<DestinationPorts> dests;
  for (uint16_t n = 1; n <= kNodes; ++n) dests.push_back({n, Ports(n)});
  const std::vector<PortInput> local = Ports(0);
  for (auto _ : state) {
    state.PauseTiming();
    if (!b->Update(local, dests, absl::UnixEpoch()).ok()) std::abort();
    state.ResumeTiming();
    for (uint32_t i = 0; i < kKeys; ++i) benchmark::DoNotOptimize(b->Decide(WarmKey(i)));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kKeys);
}
BENCHMARK(BM_DecideKnownKeyNewPeriod);

// Every decision a key never seen before (the tables full after warm-up: inserts evict).
void BM_DecideColdKey(benchmark::State& state) {
  auto b = MakeBalancer();
  uint32_t i = 0;
  for (auto _ : state) {
    const BalanceKey k{0, static_cast<uint16_t>(1 + i % kNodes), static_cast<uint16_t>(i >> 6),
                       static_cast<uint16_t>(i >> 22), 2};
    benchmark::DoNotOptimize(b->Decide(k));
    ++i;
  }
  state.counters["new_keys"] = static_cast<double>(b->counters().new_keys);
}
BENCHMARK(BM_DecideColdKey);

// Step 4 alone: the least-loaded available port from the ordered table.
void BM_PickSendPortOverloaded(benchmark::State& state) {
  std::vector<PortInput> ports = Ports(0);
  ports[0].load = 0.95;  // hash → 0 for hash % 8 == 0: always corrected
  const PortTable t = *PortTable::Build(ports, {}, 0.01);
  LoadLedger ledger;
  ledger.Reset(t);
  uint32_t hash = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PickSendPort(t, ledger, hash));
    hash += 8;
  }
}
BENCHMARK(BM_PickSendPortOverloaded);

}  // namespace
}  // namespace dmpd::lb

BENCHMARK_MAIN();
