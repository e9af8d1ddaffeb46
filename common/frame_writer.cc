// SPDX-License-Identifier: BSD-3-Clause
#include "common/frame_writer.h"

#include <algorithm>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_kind.h"

namespace dmpd {

absl::Status FrameWriter::AppendFrame(uint8_t kind, uint16_t sender_port, uint32_t sequence,
                                      const dmpd_segment_hdr* segment,
                                      std::span<const uint8_t> chunk,
                                      std::vector<std::vector<uint8_t>>* frames) const {
  const bool sign = o_.auth != nullptr && IsControlKind(kind);
  const size_t payload_len =
      (segment ? kSegmentHeaderLen : 0) + chunk.size() + (sign ? kAuthTrailerLen : 0);
  std::vector<uint8_t>& f = frames->emplace_back(kFrameHeaderLen + payload_len);
  FrameHeader h;
  h.kind = kind;
  h.flags = (sign ? DMPD_HDR_F_AUTH : 0) | (segment ? DMPD_HDR_F_SEGMENT : 0);
  h.cluster_id = o_.cluster_id;
  h.sender_node = o_.sender_node;
  h.sender_port = sender_port;
  h.sequence = sequence;
  h.payload_len = static_cast<uint16_t>(payload_len);
  if (absl::Status s = EncodeFrameHeader(h, f).status(); !s.ok()) return s;
  uint8_t* p = f.data() + kFrameHeaderLen;
  if (segment != nullptr) {
    std::copy_n(reinterpret_cast<const uint8_t*>(segment), kSegmentHeaderLen, p);
    p += kSegmentHeaderLen;
  }
  p = std::copy(chunk.begin(), chunk.end(), p);
  if (!sign) return absl::OkStatus();
  StoreBe64(p, o_.epoch);  // then the MAC, over everything before it
  return o_.auth->Sign(f);
}

absl::Status FrameWriter::Write(uint8_t kind, uint16_t sender_port, uint32_t message_id,
                                std::span<const uint8_t> body, uint32_t* sequence,
                                std::vector<std::vector<uint8_t>>* frames) const {
  const size_t overhead =
      kFrameHeaderLen + (o_.auth != nullptr && IsControlKind(kind) ? kAuthTrailerLen : 0);
  // payload_len is 16 bits; one byte of body per segment at least.
  if (o_.mtu > kFrameHeaderLen + 0xFFFF || o_.mtu < overhead + kSegmentHeaderLen + 1) {
    return absl::InvalidArgumentError("MTU out of range");
  }
  const size_t room = o_.mtu - overhead;
  if (body.size() <= room) {
    return AppendFrame(kind, sender_port, (*sequence)++, nullptr, body, frames);
  }
  const size_t chunk = room - kSegmentHeaderLen;
  const size_t count = (body.size() + chunk - 1) / chunk;
  if (count > o_.max_segments || count > 0xFFFF) {
    return absl::ResourceExhaustedError("message needs more segments than allowed");
  }
  dmpd_segment_hdr seg;
  StoreBe32(reinterpret_cast<uint8_t*>(&seg.message_id), message_id);
  StoreBe16(reinterpret_cast<uint8_t*>(&seg.count), static_cast<uint16_t>(count));
  for (size_t i = 0; i < count; ++i) {
    StoreBe16(reinterpret_cast<uint8_t*>(&seg.index), static_cast<uint16_t>(i));
    const size_t len = std::min(chunk, body.size() - i * chunk);
    absl::Status s =
        AppendFrame(kind, sender_port, (*sequence)++, &seg, body.subspan(i * chunk, len), frames);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status FrameWriter::WriteMessage(const MessageBody& message, uint16_t sender_port,
                                       uint32_t message_id, uint32_t* sequence,
                                       std::vector<std::vector<uint8_t>>* frames) const {
  std::vector<uint8_t> body;
  if (absl::Status s = EncodeMessageBody(message, &body); !s.ok()) return s;
  return Write(KindOf(message), sender_port, message_id, body, sequence, frames);
}

}  // namespace dmpd
