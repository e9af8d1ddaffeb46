// SPDX-License-Identifier: BSD-3-Clause
// libdmpd's cost per message (PERF-2; goal ≤ 20 ns at batches of 16), 64 B payloads. The
// fake daemon opens the pipes on its thread, then stops it: the benchmark plays the daemon
// on the same thread through the raw ring ends, so the figures are the library's own code
// plus the ring, without cache-line transfers between cores.
//   BM_LibrarySend   Pipe::SendBatch of 16  + the daemon's raw read/release of them
//   BM_LibraryPoll   the daemon's raw push of 16 + Pipe::Poll of them (callback sums bytes)
//   BM_LibrarySendPoll  SendBatch + the fake's loopback forward + Poll: the whole round
// The ring alone (push + pop, same payloads) is tests/pipe/pipe_benchmark's BM_RingPushPop64B.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/libdmpd/fake_daemon.h"
#include "userspace/libdmpd/dmpd.h"

namespace {

using dmpd::app::Client;
using dmpd::app::Outgoing;
using dmpd::app::Pipe;
using dmpd::app::Received;
using dmpd::app::SendStatus;
using dmpd::pipe::MessageMeta;
using dmpd::pipe::MessageView;
using dmpd::pipe::ReadStatus;

constexpr size_t kPayload = 64;

struct Rig {
  std::unique_ptr<dmpd::fake::FakeDaemon> fake;
  std::unique_ptr<Client> client;
  std::unique_ptr<Pipe> a, b;
  Rig() {
    const std::string path = "/tmp/libdmpd-bench-" + std::to_string(getpid()) + ".sock";
    fake = std::move(*dmpd::fake::FakeDaemon::Start({.socket_path = path, .node = 1}));
    client = std::move(*Client::Connect(path));
    a = std::move(*client->Open({.pipe = 1}));
    b = std::move(*client->Open({.pipe = 2}));
    fake->StopThread();
  }
  ~Rig() {
    fake->Kill();  // the pipes then see the daemon gone and close without asking it
    a.reset();
    b.reset();
  }
};

void BM_LibrarySend(benchmark::State& state) {
  Rig rig;
  const size_t batch = size_t(state.range(0));
  std::vector<std::byte> body(kPayload, std::byte{7});
  std::vector<Outgoing> msgs(batch, Outgoing{.node = 1, .pipe = 2, .type = 1, .payload = body});
  dmpd::pipe::MessageRingConsumer* tx = rig.fake->TxRing(1);
  std::array<MessageView, 64> views;
  for (auto _ : state) {
    SendStatus why;
    benchmark::DoNotOptimize(rig.a->SendBatch(msgs, &why));
    ReadStatus rs;
    benchmark::DoNotOptimize(tx->ReadBatch(std::span(views).first(batch), &rs));
    tx->Release();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * batch));
}
BENCHMARK(BM_LibrarySend)->Arg(1)->Arg(16)->Arg(64);

void BM_LibraryPoll(benchmark::State& state) {
  Rig rig;
  const size_t batch = size_t(state.range(0));
  std::vector<std::byte> body(kPayload, std::byte{7});
  dmpd::pipe::MessageRingProducer* rx = rig.fake->RxRing(2);
  uint64_t sum = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) {
      dmpd::pipe::PushStatus s;
      std::byte* to = rx->TryReserve(MessageMeta{.type = 1, .node = 1, .pipe = 1}, kPayload, &s);
      std::memcpy(to, body.data(), kPayload);
    }
    rx->Publish();
    rig.b->Poll([&](const Received& r) { sum += r.payload.size(); }, batch);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(int64_t(state.iterations() * batch));
}
BENCHMARK(BM_LibraryPoll)->Arg(1)->Arg(16)->Arg(64);

void BM_LibrarySendPoll(benchmark::State& state) {
  Rig rig;
  const size_t batch = size_t(state.range(0));
  std::vector<std::byte> body(kPayload, std::byte{7});
  std::vector<Outgoing> msgs(batch, Outgoing{.node = 1, .pipe = 2, .type = 1, .payload = body});
  uint64_t sum = 0;
  for (auto _ : state) {
    SendStatus why;
    rig.a->SendBatch(msgs, &why);
    rig.fake->Forward();
    rig.b->Poll([&](const Received& r) { sum += r.payload.size(); }, batch);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(int64_t(state.iterations() * batch));
}
BENCHMARK(BM_LibrarySendPoll)->Arg(16);

}  // namespace

BENCHMARK_MAIN();
