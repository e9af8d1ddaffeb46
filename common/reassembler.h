// SPDX-License-Identifier: BSD-3-Clause
// Reassembler: rebuilds message bodies that FrameWriter split into segments (PROTO-3).
// Segments of one message share (sender node, kind, message_id) and may arrive in any
// order, more than once, and on any port (the master sends on all of them). A message
// that stays incomplete expires; memory and the number of messages in flight are bounded,
// and a message that completed recently is remembered so its late copies are not
// delivered twice.
#ifndef DMPD_COMMON_REASSEMBLER_H_
#define DMPD_COMMON_REASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/frame_header.h"

namespace dmpd {

struct ReassemblerLimits {
  size_t max_segments = 64;             // per message; at most 64 (a bitmap tracks them)
  size_t max_bytes = 4u << 20;          // segment bytes buffered over all messages
  size_t max_messages = 256;            // messages tracked, in flight or recently done
  size_t max_in_flight_per_sender = 4;  // a sender's older incomplete messages are dropped
  uint64_t timeout_ns = 2'000'000'000;  // life of a message after its first segment
};

struct ReassemblyResult {
  enum class State { kPending, kDuplicate, kComplete };
  State state = State::kPending;
  std::vector<uint8_t> body;  // kComplete: the rebuilt body
};

class Reassembler {
 public:
  explicit Reassembler(const ReassemblerLimits& limits = {});

  // `payload` is a DMPD_HDR_F_SEGMENT frame's payload (auth trailer removed), starting
  // with struct dmpd_segment_hdr. `now_ns` is a monotonic clock.
  absl::StatusOr<ReassemblyResult> Add(const FrameHeader& h, std::span<const uint8_t> payload,
                                       uint64_t now_ns);

  // Forgets messages older than the timeout (Add also does, when it needs room).
  void Expire(uint64_t now_ns);

  size_t messages() const { return messages_.size(); }
  size_t buffered_bytes() const { return buffered_bytes_; }

 private:
  struct Message {
    uint16_t sender = 0;
    uint16_t count = 0;
    bool done = false;
    uint64_t first_ns = 0;
    uint64_t received = 0;  // bit i: segment i is held
    size_t bytes = 0;
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> segments;  // (index, bytes)
  };
  absl::StatusOr<Message*> Track(uint64_t key, uint16_t sender, uint16_t count, uint64_t now_ns);
  void Drop(Message& m);
  void EvictOldestInFlight(uint16_t sender);
  void EvictOldestDone();

  ReassemblerLimits limits_;
  absl::flat_hash_map<uint64_t, Message> messages_;  // key: sender, kind, message_id
  size_t buffered_bytes_ = 0;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_REASSEMBLER_H_
