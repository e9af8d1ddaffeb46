// SPDX-License-Identifier: BSD-3-Clause
#include "common/hello.h"

#include "common/fixed_tlv.h"
#include "common/protocol_limits.h"

namespace dmpd {
namespace {

// Each hello TLV holds one field, at most once; its value has exactly the field's width
// (or more, from a newer sender, ignored).
template <class T>
absl::Status TakeField(const Tlv& t, std::optional<T>* field) {
  if (field->has_value()) return DecodeFailure(DecodeError::kDuplicateField);
  if (t.value.size() < WireField<T>::kSize) return DecodeFailure(DecodeError::kFieldTooShort);
  *field = WireField<T>::Get(t.value.data());
  return absl::OkStatus();
}

template <class T>
void PutField(TlvType type, const std::optional<T>& field, TlvWriter* w) {
  if (!field.has_value()) return;
  const size_t at = w->Begin(type);
  WireField<T>::Put(w->Grow(WireField<T>::kSize), *field);
  w->End(at);
}

}  // namespace

absl::Status EncodeBody(const Hello& m, std::vector<uint8_t>* out) {
  if (m.name.has_value() && (m.name->empty() || m.name->size() > kMaxHelloName)) {
    return absl::InvalidArgumentError("hello name must be 1..64 bytes");
  }
  TlvWriter w(out);
  PutField(TlvType::kHelloMac, m.port_mac, &w);
  PutField(TlvType::kHelloPortCount, m.port_count, &w);
  PutField(TlvType::kHelloTerm, m.term, &w);
  if (m.name.has_value()) {
    const size_t at = w.Begin(TlvType::kHelloName);
    w.Bytes({reinterpret_cast<const uint8_t*>(m.name->data()), m.name->size()});
    w.End(at);
  }
  return w.status();
}

absl::Status DecodeBody(std::span<const uint8_t> in, Hello* out) {
  *out = Hello{};
  return ForEachTlv(in, [&](const Tlv& t) -> absl::Status {
    if (t.Is(TlvType::kHelloMac)) return TakeField(t, &out->port_mac);
    if (t.Is(TlvType::kHelloPortCount)) return TakeField(t, &out->port_count);
    if (t.Is(TlvType::kHelloTerm)) return TakeField(t, &out->term);
    if (t.Is(TlvType::kHelloName)) {
      if (out->name.has_value()) return DecodeFailure(DecodeError::kDuplicateField);
      if (t.value.empty() || t.value.size() > kMaxHelloName) {
        return DecodeFailure(DecodeError::kBadValue);
      }
      out->name.emplace(reinterpret_cast<const char*>(t.value.data()), t.value.size());
      return absl::OkStatus();
    }
    return SkipUnknownTlv(t);
  });
}

}  // namespace dmpd
