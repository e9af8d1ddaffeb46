// SPDX-License-Identifier: BSD-3-Clause
// Per-message costs of the pipe building blocks (PERF-2): ring push+pop of 64 B messages
// one at a time and in batches of 16 (goal <= 20 ns a message), on one thread and across
// two; token bucket, scheduler pick, dedup accept. Run from a build without sanitizers,
// e.g. build-rel/tests/pipe/pipe_benchmark. items_per_second is messages/s.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "userspace/pipe/dedup_window.h"
#include "userspace/pipe/message_ring.h"
#include "userspace/pipe/priority_scheduler.h"
#include "userspace/pipe/token_bucket.h"

namespace dmpd::pipe {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

struct Ring {
  explicit Ring(size_t capacity)
      : size(RingRegionSize(capacity)), mem(std::aligned_alloc(kRingAlignment, size)) {
    std::memset(mem.get(), 0, size);
    (void)InitialiseMessageRing(mem.get(), size);
  }
  size_t size;
  std::unique_ptr<void, FreeDeleter> mem;
};

void BM_RingPushPop64B(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  Ring r(1 << 20);
  auto p = *MessageRingProducer::Attach(r.mem.get(), r.size);
  auto c = *MessageRingConsumer::Attach(r.mem.get(), r.size);
  std::byte payload[64] = {};
  std::vector<MessageMeta> metas(batch);
  std::vector<std::span<const std::byte>> spans(batch, std::span<const std::byte>(payload));
  std::vector<MessageView> views(batch);
  uint64_t seq = 0, sum = 0;
  for (auto _ : state) {
    for (auto& m : metas) m.sequence = seq++;
    PushStatus ps;
    const size_t pushed = p.TryPushBatch(metas, spans, &ps);
    ReadStatus rs;
    const size_t n = c.ReadBatch(views, &rs);
    for (size_t i = 0; i < n; ++i) sum += views[i].meta.sequence + views[i].payload.size();
    c.Release();
    if (pushed != batch || n != batch) state.SkipWithError("ring did not take the batch");
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_RingPushPop64B)->Arg(1)->Arg(16)->Arg(64);

// Zero copy: reserve 16, write in place, publish; read 16 in place, release.
void BM_RingReserveRead64B(benchmark::State& state) {
  Ring r(1 << 20);
  auto p = *MessageRingProducer::Attach(r.mem.get(), r.size);
  auto c = *MessageRingConsumer::Attach(r.mem.get(), r.size);
  uint64_t seq = 0, sum = 0;
  MessageView views[16];
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) {
      PushStatus s;
      std::byte* to = p.TryReserve({.sequence = seq++}, 64, &s);
      std::memset(to, 0x5a, 64);
    }
    p.Publish();
    ReadStatus rs;
    const size_t n = c.ReadBatch(views, &rs);
    for (size_t i = 0; i < n; ++i) sum += views[i].meta.sequence + uint64_t(views[i].payload[7]);
    c.Release();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 16));
}
BENCHMARK(BM_RingReserveRead64B);

// Producer on another thread (another core when there is one), consumer in the loop:
// what the cache line transfers cost. On 2 shared vCPUs this is noisy.
void BM_RingCrossThread64B(benchmark::State& state) {
  Ring r(1 << 20);
  auto p = *MessageRingProducer::Attach(r.mem.get(), r.size);
  auto c = *MessageRingConsumer::Attach(r.mem.get(), r.size);
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    std::byte payload[64] = {};
    std::vector<MessageMeta> metas(16);
    std::vector<std::span<const std::byte>> spans(16, std::span<const std::byte>(payload));
    while (!stop.load(std::memory_order_relaxed)) {
      PushStatus s;
      if (p.TryPushBatch(metas, spans, &s) == 0) std::this_thread::yield();
    }
  });
  MessageView views[16];
  uint64_t got = 0;
  for (auto _ : state) {
    ReadStatus rs;
    size_t n = 0;
    while ((n = c.ReadBatch(views, &rs)) == 0) {
    }
    got += n;
    c.Release();
  }
  stop = true;
  producer.join();
  state.SetItemsProcessed(static_cast<int64_t>(got));
}
BENCHMARK(BM_RingCrossThread64B)->UseRealTime();

void BM_TokenBucketTryConsume(benchmark::State& state) {
  auto b = *TokenBucket::Create(12'500'000'000, 1 << 20, 0);
  uint64_t now = 0, ok = 0;
  for (auto _ : state) {
    now += 5;
    ok += b.TryConsume(64, now);
  }
  benchmark::DoNotOptimize(ok);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenBucketTryConsume);

void BM_SchedulerPickAndRequeue(benchmark::State& state) {
  const auto pipes = static_cast<uint32_t>(state.range(0));
  auto s = *PriorityScheduler::Create({.capacity = pipes});
  for (uint32_t i = 0; i < pipes; ++i) {
    (void)s.Add(i, i % PriorityScheduler::kLevels);
    s.MarkReady(i, 0);
  }
  uint64_t now = 0;
  for (auto _ : state) {
    const uint32_t slot = s.Pick(++now);
    s.MarkReady(slot, now);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SchedulerPickAndRequeue)->Arg(8)->Arg(1024);

void BM_DedupAcceptTwoCopies(benchmark::State& state) {
  auto d = *DedupWindow::Create(4096);
  uint64_t seq = 0, delivered = 0;
  for (auto _ : state) {
    const DedupKey key{static_cast<uint16_t>(seq % 64), 1};
    delivered += IsNew(d.Accept(key, seq / 64));
    delivered += IsNew(d.Accept(key, seq / 64));  // the second copy
    ++seq;
  }
  benchmark::DoNotOptimize(delivered);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DedupAcceptTwoCopies);

}  // namespace
}  // namespace dmpd::pipe

BENCHMARK_MAIN();
