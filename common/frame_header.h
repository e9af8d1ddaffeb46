// SPDX-License-Identifier: BSD-3-Clause
// FrameHeader: the host-order view of struct dmpd_hdr (common/dmpd_wire.h) with a codec
// that checks every bound. Frames arrive from the wire and are hostile until this says
// otherwise.
#ifndef DMPD_COMMON_FRAME_HEADER_H_
#define DMPD_COMMON_FRAME_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/decode_error.h"
#include "common/dmpd_wire.h"

namespace dmpd {

inline constexpr size_t kEthHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;
inline constexpr size_t kFrameHeaderLen = sizeof(dmpd_hdr);

// Why a frame was rejected: DecodeError, in common/decode_error.h.

struct FrameHeader {
  uint8_t version = DMPD_PROTO_VERSION;
  uint8_t kind = 0;
  uint16_t flags = 0;
  uint32_t cluster_id = 0;
  uint16_t sender_node = 0;
  uint16_t sender_port = 0;
  uint32_t sequence = 0;
  uint16_t payload_len = 0;

  bool is_data() const { return kind >= DMPD_KIND_FIRST_DATA; }
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// A decoded header and the payload it announces (a view into the caller's buffer).
struct DecodedFrame {
  FrameHeader header;
  std::span<const uint8_t> payload;
};

// Writes `h` into the first kFrameHeaderLen bytes of `out`; returns the bytes written or
// an error if `out` is too small. It writes any flags and node it is given (tests craft
// hostile headers with it); the decoder is where they are checked.
absl::StatusOr<size_t> EncodeFrameHeader(const FrameHeader& h, std::span<uint8_t> out);

// Decodes a DMPD header and its payload from `in` (which starts at the DMPD header).
// Refuses, in this order: a short header, another version, a flag this version does not
// define (reserved_flags), sender_node 0xFFFF (bad_node), a payload past the end; the
// reserved u16 is ignored. Bytes after the payload (Ethernet padding) are ignored. On failure the status message
// is the DecodeErrorName and `*error` (if given) the reason, for counting.
absl::StatusOr<DecodedFrame> DecodeFrameHeader(std::span<const uint8_t> in,
                                               DecodeError* error = nullptr);

// The same two decoders for the packet path: no absl::Status (which allocates its message)
// per rejected frame; `*error` says why on failure.
std::optional<DecodedFrame> ParseFrameHeader(std::span<const uint8_t> in, DecodeError* error);
std::optional<size_t> LocateDmpdHeader(std::span<const uint8_t> frame, uint16_t ethertype,
                                       DecodeError* error);

// Where the DMPD header starts in an Ethernet frame: after the Ethernet header and up to
// two 802.1Q/802.1ad tags, if the (inner) EtherType is `ethertype` (host order).
absl::StatusOr<size_t> FindDmpdHeader(std::span<const uint8_t> frame, uint16_t ethertype,
                                      DecodeError* error = nullptr);

}  // namespace dmpd

#endif  // DMPD_COMMON_FRAME_HEADER_H_
