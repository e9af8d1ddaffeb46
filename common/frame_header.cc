// SPDX-License-Identifier: BSD-3-Clause
#include "common/frame_header.h"

#include "absl/status/status.h"
#include "common/byte_order.h"

namespace dmpd {
namespace {

absl::Status Reject(DecodeError e, DecodeError* out) {
  if (out != nullptr) *out = e;
  return DecodeFailure(e);
}

constexpr uint16_t kEtherType8021Q = 0x8100;
constexpr uint16_t kEtherType8021AD = 0x88A8;
constexpr int kMaxVlanTags = 2;  // same limit as the XDP program

}  // namespace

absl::StatusOr<size_t> EncodeFrameHeader(const FrameHeader& h, std::span<uint8_t> out) {
  if (out.size() < kFrameHeaderLen) {
    return absl::ResourceExhaustedError("buffer too small for a DMPD header");
  }
  uint8_t* p = out.data();
  p[0] = h.version;
  p[1] = h.kind;
  StoreBe16(p + 2, h.flags);
  StoreBe32(p + 4, h.cluster_id);
  StoreBe16(p + 8, h.sender_node);
  StoreBe16(p + 10, h.sender_port);
  StoreBe32(p + 12, h.sequence);
  StoreBe16(p + 16, h.payload_len);
  StoreBe16(p + 18, 0);  // reserved
  return kFrameHeaderLen;
}

std::optional<DecodedFrame> ParseFrameHeader(std::span<const uint8_t> in, DecodeError* error) {
  auto fail = [error](DecodeError e) -> std::optional<DecodedFrame> {
    if (error != nullptr) *error = e;
    return std::nullopt;
  };
  if (in.size() < kFrameHeaderLen) return fail(DecodeError::kTruncatedHeader);
  const uint8_t* p = in.data();
  DecodedFrame f;
  f.header.version = p[0];
  if (f.header.version != DMPD_PROTO_VERSION) return fail(DecodeError::kBadVersion);
  f.header.kind = p[1];
  f.header.flags = LoadBe16(p + 2);
  f.header.cluster_id = LoadBe32(p + 4);
  f.header.sender_node = LoadBe16(p + 8);
  f.header.sender_port = LoadBe16(p + 10);
  f.header.sequence = LoadBe32(p + 12);
  f.header.payload_len = LoadBe16(p + 16);
  // Two compares on fields already loaded: cheap enough for the worker's classifier.
  if ((f.header.flags & ~DMPD_HDR_F_KNOWN) != 0) return fail(DecodeError::kReservedFlags);
  if (f.header.sender_node == DMPD_NODE_NONE) return fail(DecodeError::kBadNode);
  if (f.header.payload_len > in.size() - kFrameHeaderLen) {
    return fail(DecodeError::kPayloadPastEnd);
  }
  f.payload = in.subspan(kFrameHeaderLen, f.header.payload_len);
  return f;
}

std::optional<size_t> LocateDmpdHeader(std::span<const uint8_t> frame, uint16_t ethertype,
                                       DecodeError* error) {
  auto fail = [error](DecodeError e) -> std::optional<size_t> {
    if (error != nullptr) *error = e;
    return std::nullopt;
  };
  if (frame.size() < kEthHeaderLen) return fail(DecodeError::kTruncatedEthernet);
  size_t off = 12;
  uint16_t proto = LoadBe16(frame.data() + off);
  off += 2;
  for (int i = 0; i < kMaxVlanTags && (proto == kEtherType8021Q || proto == kEtherType8021AD);
       ++i) {
    if (frame.size() < off + kVlanTagLen) return fail(DecodeError::kTruncatedEthernet);
    proto = LoadBe16(frame.data() + off + 2);
    off += kVlanTagLen;
  }
  if (proto != ethertype) return fail(DecodeError::kNotDmpd);
  return off;
}

absl::StatusOr<DecodedFrame> DecodeFrameHeader(std::span<const uint8_t> in, DecodeError* error) {
  DecodeError why{};
  if (auto f = ParseFrameHeader(in, &why)) return *f;
  return Reject(why, error);
}

absl::StatusOr<size_t> FindDmpdHeader(std::span<const uint8_t> frame, uint16_t ethertype,
                                      DecodeError* error) {
  DecodeError why{};
  if (auto off = LocateDmpdHeader(frame, ethertype, &why)) return *off;
  return Reject(why, error);
}

}  // namespace dmpd
