// SPDX-License-Identifier: BSD-3-Clause
// DecodeError: why a frame from the wire was rejected. One list, from which the enum, the
// names (status messages, counter labels) and the status codes come. The reason also
// rides in the absl::Status payload so a caller several layers up can count it.
#ifndef DMPD_COMMON_DECODE_ERROR_H_
#define DMPD_COMMON_DECODE_ERROR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace dmpd {

// X(enumerator, "name", status code). Append only: the names are metric labels.
#define DMPD_DECODE_ERRORS(X)                                                          \
  X(kTruncatedEthernet, "truncated_ethernet", kInvalidArgument)                        \
  X(kNotDmpd, "not_dmpd", kInvalidArgument)                                            \
  X(kTruncatedHeader, "truncated_header", kInvalidArgument)                            \
  X(kBadVersion, "bad_version", kInvalidArgument)                                      \
  X(kPayloadPastEnd, "payload_past_end", kInvalidArgument)                             \
  X(kOtherCluster, "other_cluster", kInvalidArgument)                                  \
  X(kBadPayload, "bad_payload", kInvalidArgument)                                      \
  X(kUnknownKind, "unknown_kind", kInvalidArgument)                                    \
  X(kTruncatedTlv, "truncated_tlv", kInvalidArgument) /* < 4 bytes left for a TLV */   \
  X(kTlvPastEnd, "tlv_past_end", kInvalidArgument)    /* length beyond its parent */   \
  X(kFieldTooShort, "field_too_short", kInvalidArgument)                               \
  X(kMissingField, "missing_field", kInvalidArgument)                                  \
  X(kDuplicateField, "duplicate_field", kInvalidArgument)                              \
  X(kUnknownCriticalTlv, "unknown_critical_tlv", kInvalidArgument)                     \
  X(kBadValue, "bad_value", kInvalidArgument)                                          \
  X(kTooMany, "too_many", kResourceExhausted) /* more records than the limits allow */ \
  X(kBadSegment, "bad_segment", kInvalidArgument)                                      \
  X(kSegmentLimit, "segment_limit", kResourceExhausted)                                \
  X(kReassemblyFull, "reassembly_full", kResourceExhausted)                            \
  X(kMissingMac, "missing_mac", kUnauthenticated)                                      \
  X(kUnexpectedMac, "unexpected_mac", kUnauthenticated)                                \
  X(kBadMac, "bad_mac", kUnauthenticated)                                              \
  X(kReplay, "replay", kUnauthenticated)                                               \
  X(kReservedFlags, "reserved_flags", kInvalidArgument) /* a flag v1 lacks */          \
  X(kBadNode, "bad_node", kInvalidArgument)             /* sender_node 0xFFFF */

enum class DecodeError : uint8_t {
#define DMPD_DECODE_ERROR_ENUM(e, name, code) e,
  DMPD_DECODE_ERRORS(DMPD_DECODE_ERROR_ENUM)
#undef DMPD_DECODE_ERROR_ENUM
};
inline constexpr size_t kDecodeErrorCount = 0
#define DMPD_DECODE_ERROR_COUNT(e, name, code) +1
    DMPD_DECODE_ERRORS(DMPD_DECODE_ERROR_COUNT)
#undef DMPD_DECODE_ERROR_COUNT
    ;
std::string_view DecodeErrorName(DecodeError e);

// The status for rejecting a frame: its message is DecodeErrorName(e), its code the one
// in the list, and the reason is attached as a payload (see DecodeErrorOf).
absl::Status DecodeFailure(DecodeError e);

// The reason a DecodeFailure carries, or nullopt for any other status (including OK).
std::optional<DecodeError> DecodeErrorOf(const absl::Status& status);

}  // namespace dmpd

#endif  // DMPD_COMMON_DECODE_ERROR_H_
