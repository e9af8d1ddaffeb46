// SPDX-License-Identifier: BSD-3-Clause
#include "common/frame_receiver.h"

#include <utility>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_kind.h"

namespace dmpd {

FrameReceiver::FrameReceiver(const FrameReceiverOptions& options)
    : o_(options), replay_(options.max_senders), reassembler_(options.reassembly) {}

absl::StatusOr<std::optional<Message>> FrameReceiver::Receive(std::span<const uint8_t> frame,
                                                              uint64_t now_ns) {
  absl::StatusOr<std::optional<Message>> r = Decode(frame, now_ns);
  if (!r.ok()) {
    const std::optional<DecodeError> why = DecodeErrorOf(r.status());
    ++rejected_[static_cast<size_t>(why.value_or(DecodeError::kBadPayload))];
  }
  return r;
}

absl::StatusOr<std::span<const uint8_t>> FrameReceiver::Authenticate(
    const FrameHeader& h, std::span<const uint8_t> frame, std::span<const uint8_t> payload) {
  const bool has_mac = (h.flags & DMPD_HDR_F_AUTH) != 0;
  if (o_.auth == nullptr) {
    if (has_mac) return DecodeFailure(DecodeError::kUnexpectedMac);
    return payload;
  }
  if (!has_mac) {
    // PROTO-4 covers control frames; pipe data is the applications' and not signed.
    if (IsControlKind(h.kind)) return DecodeFailure(DecodeError::kMissingMac);
    return payload;
  }
  if (payload.size() < kAuthTrailerLen) return DecodeFailure(DecodeError::kFieldTooShort);
  if (!o_.auth->Verify(frame.first(kFrameHeaderLen + payload.size()))) {
    return DecodeFailure(DecodeError::kBadMac);
  }
  const size_t body_len = payload.size() - kAuthTrailerLen;
  const uint64_t epoch = LoadBe64(payload.data() + body_len);
  if (absl::Status s = replay_.Accept(h.sender_node, h.sender_port, epoch, h.sequence); !s.ok()) {
    return s;
  }
  return payload.first(body_len);
}

absl::StatusOr<std::optional<Message>> FrameReceiver::Decode(std::span<const uint8_t> frame,
                                                             uint64_t now_ns) {
  absl::StatusOr<DecodedFrame> f = DecodeFrameHeader(frame);
  if (!f.ok()) return f.status();
  const FrameHeader& h = f->header;
  if (h.cluster_id != o_.cluster_id) return DecodeFailure(DecodeError::kOtherCluster);
  if (!IsKnownKind(h.kind)) return DecodeFailure(DecodeError::kUnknownKind);
  absl::StatusOr<std::span<const uint8_t>> body = Authenticate(h, frame, f->payload);
  if (!body.ok()) return body.status();

  std::vector<uint8_t> joined;
  if (h.flags & DMPD_HDR_F_SEGMENT) {
    absl::StatusOr<ReassemblyResult> r = reassembler_.Add(h, *body, now_ns);
    if (!r.ok()) return r.status();
    if (r->state != ReassemblyResult::State::kComplete) return std::nullopt;
    joined = std::move(r->body);
    body = std::span<const uint8_t>(joined);
  }

  Message m{h, {}};
  if (absl::Status s = DecodeMessageBody(h.kind, *body, &m.body); !s.ok()) return s;
  // A response speaks for its sender only: it must not rewrite another node's data.
  if (const auto* r = std::get_if<HeartbeatResponse>(&m.body);
      r != nullptr && r->self.info.id != h.sender_node) {
    return DecodeFailure(DecodeError::kBadValue);
  }
  return m;
}

}  // namespace dmpd
