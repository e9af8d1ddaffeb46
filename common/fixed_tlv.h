// SPDX-License-Identifier: BSD-3-Clause
// Fixed-layout TLVs: a TLV whose value is a fixed run of big-endian fields (a message's
// term, cycle, times, …). A Layout type gives kType, kLen (bytes this version writes and
// needs) and Put/Get; a longer value from a newer sender is accepted and its tail ignored.
#ifndef DMPD_COMMON_FIXED_TLV_H_
#define DMPD_COMMON_FIXED_TLV_H_

#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/decode_error.h"
#include "common/tlv_codec.h"

namespace dmpd {

// Calls on_tlv(const Tlv&) -> absl::Status for each TLV of one level, stopping at the first
// error; on_tlv passes types it does not handle to SkipUnknownTlv.
template <class F>
absl::Status ForEachTlv(std::span<const uint8_t> in, F&& on_tlv) {
  TlvReader r(in);
  Tlv t;
  while (r.Next(&t)) {
    if (absl::Status s = on_tlv(t); !s.ok()) return s;
  }
  return r.status();
}

// The number of TLVs of `type` at this level, after checking the level's TLV structure;
// too_many above `limit`. Decoders size their vectors with it, by what the frame holds.
inline absl::StatusOr<size_t> CountTlvs(std::span<const uint8_t> in, TlvType type, size_t limit) {
  size_t n = 0;
  absl::Status s = ForEachTlv(in, [&](const Tlv& t) {
    n += t.Is(type);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (n > limit) return DecodeFailure(DecodeError::kTooMany);
  return n;
}

template <class Layout, class M>
void EncodeFixedTlv(const M& m, TlvWriter* w) {
  const size_t at = w->Begin(Layout::kType);
  Layout::Put(m, w->Grow(Layout::kLen));
  w->End(at);
}

// For a TLV that appears exactly once per level; `seen` tracks that.
template <class Layout, class M>
absl::Status DecodeFixedTlv(const Tlv& t, bool* seen, M* m) {
  if (absl::Status s = MarkSeen(seen); !s.ok()) return s;
  if (t.value.size() < Layout::kLen) return DecodeFailure(DecodeError::kFieldTooShort);
  Layout::Get(t.value.data(), m);
  return absl::OkStatus();
}

// A body that is one mandatory fixed-layout TLV (plus whatever newer senders add).
template <class Layout, class M>
absl::Status EncodeFixedBody(const M& m, std::vector<uint8_t>* out) {
  TlvWriter w(out);
  EncodeFixedTlv<Layout>(m, &w);
  return w.status();
}
template <class Layout, class M>
absl::Status DecodeFixedBody(std::span<const uint8_t> in, M* m) {
  bool seen = false;
  absl::Status s = ForEachTlv(in, [&](const Tlv& t) {
    return t.Is(Layout::kType) ? DecodeFixedTlv<Layout>(t, &seen, m) : SkipUnknownTlv(t);
  });
  if (!s.ok()) return s;
  return seen ? absl::OkStatus() : DecodeFailure(DecodeError::kMissingField);
}

}  // namespace dmpd

#endif  // DMPD_COMMON_FIXED_TLV_H_
