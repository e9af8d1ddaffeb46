// SPDX-License-Identifier: BSD-3-Clause
// Encode and decode costs of the protocol (PERF-2): a heartbeat view of 16 and 64 nodes
// with 4 ports each (every field set, 2 pipes per node), and a data frame. Run from a
// build without sanitizers: cmake -DDMPD_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release.
#include <benchmark/benchmark.h>

#include "common/data_frame.h"
#include "common/frame_header.h"
#include "common/frame_receiver.h"
#include "common/frame_writer.h"
#include "common/heartbeat.h"
#include "common/protocol_samples.h"

namespace dmpd {
namespace {

constexpr size_t kPortsPerNode = 4;

void BM_HeartbeatEncode(benchmark::State& state) {
  const Heartbeat view = SampleView(state.range(0), kPortsPerNode);
  std::vector<uint8_t> body;
  for (auto _ : state) {
    body.clear();  // keeps the capacity, as a daemon reusing its buffer would
    if (!EncodeBody(view, &body).ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_HeartbeatEncode)->Arg(16)->Arg(64);

void BM_HeartbeatDecode(benchmark::State& state) {
  std::vector<uint8_t> body;
  (void)EncodeBody(SampleView(state.range(0), kPortsPerNode), &body);
  Heartbeat view;  // reused: the decoder keeps the vectors' capacity
  for (auto _ : state) {
    if (!DecodeBody(body, &view).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(view.nodes.data());
  }
  state.counters["bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_HeartbeatDecode)->Arg(16)->Arg(64);

// The whole send and receive path of a view: segmentation into 1500-byte frames (and
// signing, with the second argument 1), reassembly, decode.
void BM_HeartbeatFramesWriteAndReceive(benchmark::State& state) {
  const Heartbeat view = SampleView(state.range(0), kPortsPerNode);
  auto auth = FrameAuth::Create(SampleClusterKey());
  const FrameAuth* key = state.range(1) ? auth->get() : nullptr;
  FrameWriter writer(SampleWriterOptions(key));
  FrameReceiver rx(ReceiverOptions(kSampleCluster, key));
  std::vector<std::vector<uint8_t>> frames;
  uint32_t seq = 0, cycle = 0;
  for (auto _ : state) {
    frames.clear();
    if (!writer.WriteMessage(view, 0, ++cycle, &seq, &frames).ok()) state.SkipWithError("write");
    for (const auto& f : frames) {
      auto r = rx.Receive(f, cycle);
      if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
      benchmark::DoNotOptimize(r);
    }
  }
  state.counters["frames"] = static_cast<double>(frames.size());
}
BENCHMARK(BM_HeartbeatFramesWriteAndReceive)->Args({16, 0})->Args({64, 0})->Args({64, 1});

const DataHeader kData = {.src_node = 1,
                          .dst_node = 2,
                          .src_pipe = 3,
                          .dst_pipe = 4,
                          .type = 5,
                          .flags = 0,
                          .sequence = 6};

void BM_DataFrameEncode(benchmark::State& state) {
  const std::vector<uint8_t> payload(state.range(0), 0xAB);
  std::vector<uint8_t> frame(kFrameHeaderLen + kDataHeaderLen + payload.size());
  FrameHeader h{.kind = DMPD_KIND_DATA, .cluster_id = kSampleCluster, .sender_node = 1};
  for (auto _ : state) {
    h.payload_len = static_cast<uint16_t>(kDataHeaderLen + payload.size());
    ++h.sequence;
    (void)EncodeFrameHeader(h, frame);
    auto n = WriteDataPayload(kData, payload, std::span(frame).subspan(kFrameHeaderLen));
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_DataFrameEncode)->Arg(64)->Arg(1400);

void BM_DataFrameDecode(benchmark::State& state) {
  const std::vector<uint8_t> payload(state.range(0), 0xAB);
  std::vector<uint8_t> frame(kFrameHeaderLen + kDataHeaderLen + payload.size());
  FrameHeader h{.kind = DMPD_KIND_DATA, .cluster_id = kSampleCluster, .sender_node = 1};
  h.payload_len = static_cast<uint16_t>(kDataHeaderLen + payload.size());
  (void)EncodeFrameHeader(h, frame);
  (void)WriteDataPayload(kData, payload, std::span(frame).subspan(kFrameHeaderLen));
  for (auto _ : state) {
    auto f = DecodeFrameHeader(frame);
    auto d = ReadDataPayload(f->payload);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DataFrameDecode)->Arg(64)->Arg(1400);

}  // namespace
}  // namespace dmpd

BENCHMARK_MAIN();
