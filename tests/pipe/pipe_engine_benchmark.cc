// SPDX-License-Identifier: BSD-3-Clause
// The worker's cost per message (PERF-2), two PipeEngines joined in memory as in
// pipe_engine_test: node 1's application pushes a batch of 32 messages into its tx ring,
// node 1's engine turns them into frames (PollTx: ring -> frame), the frames are decoded as
// the worker's classifier would, and node 2's engine delivers them into the destination
// pipe's rx ring (OnDataFrame: frame -> rx ring), whose application drains it.
//
// Each benchmark runs that whole loop but times only its own step (manual time, one clock
// read on each side of the step per batch: about 1 ns a message), so the application's
// ring work and the decoding are not in the figure. BM_EngineRoundLoop times everything.
// items_per_second is messages/s; per_msg is its inverse (seconds a message). Args are
// {payload bytes, copies}: with 2 copies each message is two frames on two ports, and the
// receiver sees both (one delivered, one counted as a duplicate).
//
// Frames go into fixed buffers, as into a burst of mbufs, so the ports cost nothing beyond
// the bytes the engine writes. Run from a build without sanitizers:
//   build-bench/tests/pipe/pipe_engine_benchmark
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/frame_header.h"
#include "tests/pipe/engine_test_support.h"
#include "userspace/pipe/pipe_engine.h"

namespace dmpd::pipe {
namespace {

using test_support::AppPipe;
using test_support::To;

constexpr size_t kBatch = 32;  // the engine's burst: one PollTx takes 32 from a pipe

// Up to kFrames frames per round in fixed buffers; Clear() starts the next round.
class BurstPorts final : public DataPorts {
 public:
  static constexpr size_t kFrames = 2 * kBatch;
  static constexpr size_t kFrameBytes = 2048;  // an mbuf's data room

  BurstPorts(uint8_t node, size_t ports)
      : ports_(ports), node_(node), buffers_(kFrames * kFrameBytes) {}
  size_t port_count() const override { return ports_; }
  bool up(size_t) const override { return true; }
  MacAddress mac(size_t port) const override {
    return {0x02, 0, 0, 0, node_, static_cast<uint8_t>(port)};
  }
  std::span<uint8_t> Begin(size_t port, size_t len) override {
    if (count_ == kFrames || len > kFrameBytes) return {};
    port_[count_] = port;
    len_[count_] = len;
    return {buffers_.data() + count_ * kFrameBytes, len};
  }
  void Commit(size_t) override { ++count_; }

  size_t count() const { return count_; }
  size_t port(size_t i) const { return port_[i]; }
  std::span<const uint8_t> frame(size_t i) const {
    return {buffers_.data() + i * kFrameBytes, len_[i]};
  }
  void Clear() { count_ = 0; }

 private:
  size_t ports_;
  uint8_t node_;
  std::vector<uint8_t> buffers_;
  std::array<size_t, kFrames> port_{};
  std::array<size_t, kFrames> len_{};
  size_t count_ = 0;
};

using Node = test_support::EngineNode<BurstPorts>;
using Clock = std::chrono::steady_clock;

// Node 1 pipe 10 (slot 0) sends to node 2 pipe 20 (slot 3), two ports each.
struct Pair {
  Pair(size_t size, uint8_t copies) : payload(size, std::byte{0x5a}), metas(kBatch, To(2, 20)) {
    n1.RouteTo(n2);
    n2.RouteTo(n1);
    n1.Open(0, 10, a, copies);
    n2.Open(3, 20, b);
    spans.assign(kBatch, std::span<const std::byte>(payload));
  }
  // The application of node 1 queues a batch.
  bool Push() {
    PushStatus s;
    return a.tx->TryPushBatch(metas, spans, &s) == kBatch;
  }
  uint32_t PollTx() { return n1.engine->PollTx(n1.now); }
  // The classifier's part: decode every frame node 1 sent.
  bool Decode() {
    decoded.clear();
    for (size_t i = 0; i < n1.ports.count(); ++i) {
      const auto f = ParseFrameHeader(n1.ports.frame(i).subspan(kEthHeaderLen), nullptr);
      if (!f) return false;
      decoded.push_back({n1.ports.frame(i)[5], *f});  // the port its MAC names
    }
    return true;
  }
  void Deliver() {
    for (const auto& d : decoded)
      n2.engine->OnDataFrame(d.port, d.frame.header, d.frame.payload, n2.now);
  }
  // The application of node 2 reads what arrived; node 2's credits go back to node 1 (flow
  // control: a credit every 128 frames); the next round starts.
  size_t Drain() {
    std::array<MessageView, kBatch> views;
    ReadStatus rs;
    size_t n = 0, got;
    while ((got = b.rx->ReadBatch(views, &rs)) > 0) n += got;
    b.rx->Release();
    n1.ports.Clear();
    n2.engine->PollTx(n2.now);
    for (size_t i = 0; i < n2.ports.count(); ++i) {
      const auto f = ParseFrameHeader(n2.ports.frame(i).subspan(kEthHeaderLen), nullptr);
      if (f) n1.engine->OnDataFrame(n2.ports.frame(i)[5], f->header, f->payload, n1.now);
    }
    n2.ports.Clear();
    n1.now += 1000;
    n2.now += 1000;
    return n;
  }

  Node n1{1, 2}, n2{2, 2};
  AppPipe a, b;
  std::vector<std::byte> payload;
  std::vector<MessageMeta> metas;
  std::vector<std::span<const std::byte>> spans;
  struct Decoded {
    size_t port;
    DecodedFrame frame;
  };
  std::vector<Decoded> decoded;
};

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

void Report(benchmark::State& state) {
  const auto msgs = static_cast<double>(state.iterations() * kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(msgs));
  state.counters["per_msg"] =
      benchmark::Counter(msgs, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

bool RoundOk(Pair& p, uint32_t taken, size_t drained) {
  return taken == kBatch && drained == kBatch && p.n2.engine->counters().no_pipe.Get() == 0;
}

// ring -> frame: PollTx of a batch of 32 messages (k frames each).
void BM_EnginePollTx(benchmark::State& state) {
  Pair p(static_cast<size_t>(state.range(0)), static_cast<uint8_t>(state.range(1)));
  for (auto _ : state) {
    if (!p.Push()) state.SkipWithError("tx ring refused the batch");
    const auto t0 = Clock::now();
    const uint32_t taken = p.PollTx();
    const auto t1 = Clock::now();
    state.SetIterationTime(Seconds(t0, t1));
    if (!p.Decode()) state.SkipWithError("a frame did not decode");
    p.Deliver();
    if (!RoundOk(p, taken, p.Drain())) state.SkipWithError("a message went missing");
  }
  Report(state);
}
BENCHMARK(BM_EnginePollTx)->Args({64, 1})->Args({64, 2})->Args({1024, 1})->UseManualTime();

// frame -> rx ring: OnDataFrame for the frames of a batch of 32 messages.
void BM_EngineOnDataFrame(benchmark::State& state) {
  Pair p(static_cast<size_t>(state.range(0)), static_cast<uint8_t>(state.range(1)));
  for (auto _ : state) {
    if (!p.Push()) state.SkipWithError("tx ring refused the batch");
    const uint32_t taken = p.PollTx();
    if (!p.Decode()) state.SkipWithError("a frame did not decode");
    const auto t0 = Clock::now();
    p.Deliver();
    const auto t1 = Clock::now();
    state.SetIterationTime(Seconds(t0, t1));
    if (!RoundOk(p, taken, p.Drain())) state.SkipWithError("a message went missing");
  }
  Report(state);
}
BENCHMARK(BM_EngineOnDataFrame)->Args({64, 1})->Args({64, 2})->Args({1024, 1})->UseManualTime();

// Everything: push, PollTx, decode, OnDataFrame, drain (both applications and both workers
// on one thread).
void BM_EngineRoundLoop(benchmark::State& state) {
  Pair p(static_cast<size_t>(state.range(0)), static_cast<uint8_t>(state.range(1)));
  for (auto _ : state) {
    if (!p.Push()) state.SkipWithError("tx ring refused the batch");
    const uint32_t taken = p.PollTx();
    if (!p.Decode()) state.SkipWithError("a frame did not decode");
    p.Deliver();
    if (!RoundOk(p, taken, p.Drain())) state.SkipWithError("a message went missing");
  }
  Report(state);
}
BENCHMARK(BM_EngineRoundLoop)->Args({64, 1})->Args({64, 2})->Args({1024, 1});

}  // namespace
}  // namespace dmpd::pipe

BENCHMARK_MAIN();
