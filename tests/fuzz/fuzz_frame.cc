// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for the whole receive path: FindDmpdHeader, DecodeFrameHeader and
// FrameReceiver (keyless and keyed) over a sequence of frames, so the replay window and
// reassembly carry state from frame to frame. Checks the reassembly bounds hold.
#include <cstdint>
#include <span>

#include "common/frame_header.h"
#include "common/frame_receiver.h"
#include "common/protocol_samples.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

constexpr dmpd::ReassemblerLimits kLimits = {
    .max_segments = 16, .max_bytes = 4096, .max_messages = 8, .timeout_ns = 5'000'000};

const dmpd::FrameAuth* Auth() {
  static const auto auth = dmpd::FrameAuth::Create(dmpd::SampleClusterKey());
  return auth->get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  (void)dmpd::FindDmpdHeader(in, DMPD_ETHERTYPE_DEFAULT);
  (void)dmpd::DecodeFrameHeader(in);
  dmpd::FrameReceiver keyless({.cluster_id = dmpd::kSampleCluster, .reassembly = kLimits});
  dmpd::FrameReceiver keyed(
      {.cluster_id = dmpd::kSampleCluster, .auth = Auth(), .reassembly = kLimits});
  uint64_t now = 0;
  dmpd::fuzz::ForEachPiece(in, [&](std::span<const uint8_t> frame) {
    now += 1'000'000;
    (void)keyless.Receive(frame, now);
    (void)keyed.Receive(frame, now);
  });
  return 0;
}
