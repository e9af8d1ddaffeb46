// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by the protocol tests: hex, the reason of a failed status, and the
// sample frames as the library writes them.
#ifndef DMPD_TESTS_PROTOCOL_PROTOCOL_TEST_UTIL_H_
#define DMPD_TESTS_PROTOCOL_PROTOCOL_TEST_UTIL_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/decode_error.h"
#include "common/frame_auth.h"
#include "common/message.h"

namespace dmpd::testing {

std::string Hex(std::span<const uint8_t> bytes);
std::vector<uint8_t> FromHex(std::string_view hex);  // ignores spaces

// The reason of a DecodeFailure, or nullopt (then the test shows what it was instead).
std::optional<DecodeError> Reason(const absl::Status& s);

// The single frame carrying `m` as the sample node sends it (sequence kSampleSequence,
// message id kSampleCycle), signed when `auth` is set.
std::vector<uint8_t> SampleFrame(const MessageBody& m, const FrameAuth* auth = nullptr);

// Where the length fields of a control payload are (offsets into the frame), found by
// walking its TLVs and the "node" containers inside them, and each one's parent end.
struct LengthField {
  size_t offset;      // of the be16 length
  size_t parent_end;  // offset where the enclosing level ends
};
std::vector<LengthField> TlvLengthFields(std::span<const uint8_t> frame);

// Offsets (into the frame) where a top-level TLV of the payload starts or the payload ends.
std::vector<size_t> TopLevelBoundaries(std::span<const uint8_t> frame);

}  // namespace dmpd::testing

#endif  // DMPD_TESTS_PROTOCOL_PROTOCOL_TEST_UTIL_H_
