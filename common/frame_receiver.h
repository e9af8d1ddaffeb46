// SPDX-License-Identifier: BSD-3-Clause
// FrameReceiver: the whole receive path of a DMPD frame, in the order that keeps hostile
// input cheap: header bounds, cluster, kind, authentication and replay (PROTO-4),
// reassembly (PROTO-3), then the kind's body decoder. Every rejection is a DecodeFailure
// and is counted by reason (REL-1: counted and dropped).
//
// Data frames on the fast path use ReadDataPayload directly; this class copies their
// payload into a DataMessage, which suits reassembled or rare data messages.
#ifndef DMPD_COMMON_FRAME_RECEIVER_H_
#define DMPD_COMMON_FRAME_RECEIVER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "common/decode_error.h"
#include "common/frame_auth.h"
#include "common/message.h"
#include "common/reassembler.h"
#include "common/replay_window.h"

namespace dmpd {

struct FrameReceiverOptions {
  uint32_t cluster_id = 0;
  // Set: control frames must carry a valid MAC and a fresh sequence. Unset: frames that
  // carry a MAC are refused, since they cannot be checked (a node without the key does
  // not join a keyed cluster).
  const FrameAuth* auth = nullptr;
  ReassemblerLimits reassembly;
  size_t max_senders = 4096;  // replay window entries
};

// Options with the default limits (a designated initializer that leaves members out trips
// -Wmissing-field-initializers).
inline FrameReceiverOptions ReceiverOptions(uint32_t cluster_id, const FrameAuth* auth = nullptr) {
  FrameReceiverOptions options;
  options.cluster_id = cluster_id;
  options.auth = auth;
  return options;
}

class FrameReceiver {
 public:
  explicit FrameReceiver(const FrameReceiverOptions& options);

  // One frame from the DMPD header on (FindDmpdHeader gives where it starts). Returns the
  // message when one is complete, nullopt while a segmented message is still missing
  // pieces or for a copy of a segment already held. `now_ns`: a monotonic clock.
  absl::StatusOr<std::optional<Message>> Receive(std::span<const uint8_t> frame, uint64_t now_ns);

  // Drops incomplete messages that timed out; call once per cycle or so.
  void Expire(uint64_t now_ns) { reassembler_.Expire(now_ns); }

  // Frames rejected so far, by DecodeError.
  const std::array<uint64_t, kDecodeErrorCount>& rejected() const { return rejected_; }

 private:
  absl::StatusOr<std::optional<Message>> Decode(std::span<const uint8_t> frame, uint64_t now_ns);
  absl::StatusOr<std::span<const uint8_t>> Authenticate(const FrameHeader& h,
                                                        std::span<const uint8_t> frame,
                                                        std::span<const uint8_t> payload);

  FrameReceiverOptions o_;
  ReplayWindow replay_;
  Reassembler reassembler_;
  std::array<uint64_t, kDecodeErrorCount> rejected_{};
};

}  // namespace dmpd

#endif  // DMPD_COMMON_FRAME_RECEIVER_H_
