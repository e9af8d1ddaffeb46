// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for Reassembler::Add over a sequence of segments from a few senders.
// Each piece is [sender][kind][segment payload…]; the piece index advances the clock.
// Traps if the memory or message bounds are ever exceeded.
#include <cstdint>
#include <span>

#include "common/reassembler.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dmpd::ReassemblerLimits limits = {.max_segments = 8,
                                          .max_bytes = 2048,
                                          .max_messages = 8,
                                          .max_in_flight_per_sender = 2,
                                          .timeout_ns = 40};
  dmpd::Reassembler r(limits);
  uint64_t now = 0;
  dmpd::fuzz::ForEachPiece(std::span(data, size), [&](std::span<const uint8_t> piece) {
    if (piece.size() < 2) return;
    dmpd::FrameHeader h;
    h.sender_node = piece[0] & 3;
    h.kind = piece[1];
    now += 10;
    auto res = r.Add(h, piece.subspan(2), now);
    if (res.ok() && res->state == dmpd::ReassemblyResult::State::kComplete &&
        res->body.size() > limits.max_bytes) {
      __builtin_trap();
    }
    if (r.buffered_bytes() > limits.max_bytes || r.messages() > limits.max_messages) {
      __builtin_trap();
    }
  });
  return 0;
}
