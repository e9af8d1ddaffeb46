// SPDX-License-Identifier: BSD-3-Clause
// FrameWriter: turns one message body into the frames that carry it (PROTO-3, PROTO-4):
// the DMPD header, the segment header when the body needs more than one frame (MTU), and
// the auth trailer on control frames when a cluster key is set.
#ifndef DMPD_COMMON_FRAME_WRITER_H_
#define DMPD_COMMON_FRAME_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"
#include "common/frame_auth.h"
#include "common/message.h"

namespace dmpd {

inline constexpr size_t kSegmentHeaderLen = sizeof(dmpd_segment_hdr);
inline constexpr size_t kDefaultMtu = 1500;
inline constexpr size_t kDefaultMaxSegments = 64;

struct FrameWriterOptions {
  uint32_t cluster_id = 0;
  uint16_t sender_node = 0;
  // Bytes from the DMPD header to the end of the frame: the link MTU (the Ethernet header
  // and 802.1Q tags are not counted, as for IP).
  size_t mtu = kDefaultMtu;
  size_t max_segments = kDefaultMaxSegments;  // a larger message is refused
  const FrameAuth* auth = nullptr;            // set: control frames are signed
  uint64_t epoch = 0;  // the sender's start time, us since 1970 (dmpd_auth_trailer)
};

class FrameWriter {
 public:
  explicit FrameWriter(const FrameWriterOptions& options) : o_(options) {}

  // Appends to `frames` the frames (DMPD header on) that carry `body` as one message of
  // `kind` out of `sender_port`: one frame when it fits, else segments of `message_id`
  // (the cycle for views; any per-sender counter otherwise). The frames take sequence
  // numbers from *sequence on (the per-port counter, advanced).
  absl::Status Write(uint8_t kind, uint16_t sender_port, uint32_t message_id,
                     std::span<const uint8_t> body, uint32_t* sequence,
                     std::vector<std::vector<uint8_t>>* frames) const;

  // Encodes `message` and writes it as above.
  absl::Status WriteMessage(const MessageBody& message, uint16_t sender_port, uint32_t message_id,
                            uint32_t* sequence, std::vector<std::vector<uint8_t>>* frames) const;

 private:
  absl::Status AppendFrame(uint8_t kind, uint16_t sender_port, uint32_t sequence,
                           const dmpd_segment_hdr* segment, std::span<const uint8_t> chunk,
                           std::vector<std::vector<uint8_t>>* frames) const;

  FrameWriterOptions o_;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_FRAME_WRITER_H_
