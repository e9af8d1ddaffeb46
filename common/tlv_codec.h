// SPDX-License-Identifier: BSD-3-Clause
// TlvReader and TlvWriter: the TLV layer every control payload is made of
// (struct dmpd_tlv_hdr: type be16, length be16, then `length` bytes of value).
//
// The reader is the one place that checks TLV bounds: a TLV whose length runs past its
// parent is rejected, and every step consumes at least the 4-byte header, so a walk over
// n bytes ends after at most n / 4 steps whatever the input.
#ifndef DMPD_COMMON_TLV_CODEC_H_
#define DMPD_COMMON_TLV_CODEC_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/byte_order.h"
#include "common/decode_error.h"
#include "common/dmpd_wire.h"
#include "common/tlv_types.h"

namespace dmpd {

inline constexpr size_t kTlvHeaderLen = sizeof(dmpd_tlv_hdr);
inline constexpr size_t kTlvMaxValueLen = 0xFFFF;

struct Tlv {
  uint16_t type = 0;  // with DMPD_TLV_F_CRITICAL as sent
  std::span<const uint8_t> value;

  bool Is(TlvType t) const { return (type & ~DMPD_TLV_F_CRITICAL) == static_cast<uint16_t>(t); }
};

class TlvReader {
 public:
  explicit TlvReader(std::span<const uint8_t> in) : in_(in) {}

  // The next TLV of this level. False at the end of the input or on a malformed TLV;
  // status() tells the two apart.
  bool Next(Tlv* tlv) {
    if (pos_ == in_.size() || error_.has_value()) return false;
    if (in_.size() - pos_ < kTlvHeaderLen) return Fail(DecodeError::kTruncatedTlv);
    const uint8_t* p = in_.data() + pos_;
    const uint16_t len = LoadBe16(p + 2);
    if (len > in_.size() - pos_ - kTlvHeaderLen) return Fail(DecodeError::kTlvPastEnd);
    tlv->type = LoadBe16(p);
    tlv->value = in_.subspan(pos_ + kTlvHeaderLen, len);
    pos_ += kTlvHeaderLen + len;
    return true;
  }

  absl::Status status() const {
    return error_.has_value() ? DecodeFailure(*error_) : absl::OkStatus();
  }

 private:
  bool Fail(DecodeError e) {
    error_ = e;
    return false;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  std::optional<DecodeError> error_;
};

// What a decoder does with a TLV type it does not handle: skip it, unless the sender marked
// it critical (it changes the meaning of the rest, so ignoring it would be wrong).
inline absl::Status SkipUnknownTlv(const Tlv& tlv) {
  if (tlv.type & DMPD_TLV_F_CRITICAL) return DecodeFailure(DecodeError::kUnknownCriticalTlv);
  return absl::OkStatus();
}

// For TLVs that may appear once per level.
inline absl::Status MarkSeen(bool* seen) {
  if (*seen) return DecodeFailure(DecodeError::kDuplicateField);
  *seen = true;
  return absl::OkStatus();
}

// Appends big-endian values and TLVs to a byte vector. A TLV whose value would exceed
// 65535 bytes makes the writer fail; encoders return status() once at the end, so the
// per-field path has no branches for errors.
class TlvWriter {
 public:
  explicit TlvWriter(std::vector<uint8_t>* out) : out_(out) {}

  uint8_t* Grow(size_t n) {
    const size_t at = out_->size();
    out_->resize(at + n);
    return out_->data() + at;
  }
  // Drops the last n bytes (of a Grow that reserved more than it used).
  void Shrink(size_t n) { out_->resize(out_->size() - n); }
  void U8(uint8_t v) { *Grow(1) = v; }
  void U16(uint16_t v) { StoreBe16(Grow(2), v); }
  void U32(uint32_t v) { StoreBe32(Grow(4), v); }
  void U64(uint64_t v) { StoreBe64(Grow(8), v); }
  void Bytes(std::span<const uint8_t> b) {
    if (!b.empty()) std::copy(b.begin(), b.end(), Grow(b.size()));
  }

  // Opens a TLV; returns the handle End() needs.
  size_t Begin(TlvType type) {
    const size_t at = out_->size();
    U16(static_cast<uint16_t>(type));
    U16(0);
    return at;
  }
  // Closes the TLV opened at `at`, writing its length.
  void End(size_t at) {
    const size_t len = out_->size() - at - kTlvHeaderLen;
    if (len > kTlvMaxValueLen) {
      too_large_ = true;
      return;
    }
    StoreBe16(out_->data() + at + 2, static_cast<uint16_t>(len));
  }

  absl::Status status() const {
    return too_large_ ? absl::ResourceExhaustedError("a TLV value exceeds 65535 bytes")
                      : absl::OkStatus();
  }

 private:
  std::vector<uint8_t>* out_;
  bool too_large_ = false;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_TLV_CODEC_H_
