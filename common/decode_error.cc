// SPDX-License-Identifier: BSD-3-Clause
#include "common/decode_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace dmpd {
namespace {

// The payload key; the value is one byte, the enumerator.
constexpr absl::string_view kPayloadUrl = "type.dmpd/DecodeError";

absl::StatusCode CodeOf(DecodeError e) {
  switch (e) {
#define DMPD_DECODE_ERROR_CODE(en, name, code) \
  case DecodeError::en:                        \
    return absl::StatusCode::code;
    DMPD_DECODE_ERRORS(DMPD_DECODE_ERROR_CODE)
#undef DMPD_DECODE_ERROR_CODE
  }
  return absl::StatusCode::kInvalidArgument;
}

}  // namespace

std::string_view DecodeErrorName(DecodeError e) {
  switch (e) {
#define DMPD_DECODE_ERROR_NAME(en, name, code) \
  case DecodeError::en:                        \
    return name;
    DMPD_DECODE_ERRORS(DMPD_DECODE_ERROR_NAME)
#undef DMPD_DECODE_ERROR_NAME
  }
  return "unknown";
}

absl::Status DecodeFailure(DecodeError e) {
  const std::string_view name = DecodeErrorName(e);
  absl::Status s(CodeOf(e), absl::string_view(name.data(), name.size()));
  s.SetPayload(kPayloadUrl, absl::Cord(std::string(1, static_cast<char>(e))));
  return s;
}

std::optional<DecodeError> DecodeErrorOf(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto p = status.GetPayload(kPayloadUrl);  // absl::optional in this Abseil build
  if (!p.has_value() || p->size() != 1) return std::nullopt;
  auto v = static_cast<uint8_t>(*p->char_begin());
  if (v >= kDecodeErrorCount) return std::nullopt;
  return static_cast<DecodeError>(v);
}

}  // namespace dmpd
