// SPDX-License-Identifier: BSD-3-Clause
// Field groups: the paper's n…, m…, p… records (PROTO-2) and the heartbeat response's
// observations, each one TLV whose value is
//
//     id be16 | present be32 | the present fields, in bit order, at their fixed widths
//
// A field the sender cannot measure has its bit clear and takes no bytes, so "absent"
// never reads as 0. Compatibility: new fields take the next higher bit, so an older
// receiver finds every field it knows before any it does not and ignores the bytes after
// them; a bit, once given, keeps its field and width forever.
//
// Each group is defined by one X-macro list X(bit, name, type, "unit and meaning"), from
// which the struct, the codec and the docs' tables come.
#ifndef DMPD_COMMON_FIELD_GROUP_H_
#define DMPD_COMMON_FIELD_GROUP_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "absl/status/status.h"
#include "common/byte_order.h"
#include "common/decode_error.h"
#include "common/mac_address.h"
#include "common/tlv_codec.h"

namespace dmpd {

// Ratios (utilisation, loss, load in 0..1) travel as parts per million in a u32: exact
// integers on the wire and in tests, 1 ppm resolution, room for values above 1.
inline constexpr uint32_t kPpmPerUnit = 1'000'000;
constexpr uint32_t PpmFromRatio(double r) {
  if (!(r > 0)) return 0;
  const double ppm = r * kPpmPerUnit + 0.5;
  return ppm >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(ppm);
}
constexpr double RatioFromPpm(uint32_t ppm) { return static_cast<double>(ppm) / kPpmPerUnit; }

// How each field type is laid out: big-endian, fixed width.
template <class T>
struct WireField;
template <>
struct WireField<uint8_t> {
  static constexpr size_t kSize = 1;
  static void Put(uint8_t* p, uint8_t v) { *p = v; }
  static uint8_t Get(const uint8_t* p) { return *p; }
};
template <>
struct WireField<uint16_t> {
  static constexpr size_t kSize = 2;
  static void Put(uint8_t* p, uint16_t v) { StoreBe16(p, v); }
  static uint16_t Get(const uint8_t* p) { return LoadBe16(p); }
};
template <>
struct WireField<uint32_t> {
  static constexpr size_t kSize = 4;
  static void Put(uint8_t* p, uint32_t v) { StoreBe32(p, v); }
  static uint32_t Get(const uint8_t* p) { return LoadBe32(p); }
};
template <>
struct WireField<int32_t> {  // two's complement
  static constexpr size_t kSize = 4;
  static void Put(uint8_t* p, int32_t v) { StoreBe32(p, static_cast<uint32_t>(v)); }
  static int32_t Get(const uint8_t* p) { return static_cast<int32_t>(LoadBe32(p)); }
};
template <>
struct WireField<uint64_t> {
  static constexpr size_t kSize = 8;
  static void Put(uint8_t* p, uint64_t v) { StoreBe64(p, v); }
  static uint64_t Get(const uint8_t* p) { return LoadBe64(p); }
};
template <>
struct WireField<MacAddress> {
  static constexpr size_t kSize = 6;
  static void Put(uint8_t* p, const MacAddress& v) { std::copy(v.begin(), v.end(), p); }
  static MacAddress Get(const uint8_t* p) {
    MacAddress m;
    std::copy(p, p + 6, m.begin());
    return m;
  }
};

// The members of a group struct and ForEachField(s, f), which calls f(bit, member) for each
// field in bit order: the one loop the codec, the tests and the tools share.
#define DMPD_GROUP_MEMBER(bit, name, type, doc) std::optional<type> name;
#define DMPD_GROUP_VISIT(bit, name, type, doc) f(bit, s.name);
#define DMPD_GROUP_BIT(bit, name, type, doc) bit,
#define DMPD_GROUP_SIZE(bit, name, type, doc) +WireField<type>::kSize
#define DMPD_FIELD_GROUP(Fields)                                              \
  Fields(DMPD_GROUP_MEMBER) template <class Self, class F>                    \
  static void ForEachField(Self& s, F&& f) {                                  \
    Fields(DMPD_GROUP_VISIT)                                                  \
  }                                                                           \
  static constexpr auto kBits = std::to_array<int>({Fields(DMPD_GROUP_BIT)}); \
  static constexpr size_t kMaxBytes = 0 Fields(DMPD_GROUP_SIZE)

// True if the bits of a list go strictly upwards and fit the 32-bit presence word: what
// makes "older receivers stop at the first unknown field" sound.
template <size_t N>
constexpr bool BitsAscend(const std::array<int, N>& bits) {
  for (size_t i = 0; i < N; ++i) {
    if (bits[i] < 0 || bits[i] > 31 || (i > 0 && bits[i] <= bits[i - 1])) return false;
  }
  return true;
}

inline constexpr size_t kGroupPrefixLen = 6;  // id be16, present be32

template <class G>
void EncodeGroup(const G& g, TlvWriter* w) {
  static_assert(BitsAscend(G::kBits), "group bits must ascend within 0..31");
  const size_t at = w->Begin(G::kTlvType);
  // One pass: room for every field, then give back what absent fields did not use.
  uint8_t* const start = w->Grow(kGroupPrefixLen + G::kMaxBytes);
  uint8_t* p = start + kGroupPrefixLen;
  uint32_t present = 0;
  G::ForEachField(g, [&](int bit, const auto& field) {
    using T = typename std::remove_cvref_t<decltype(field)>::value_type;
    if (field.has_value()) {
      present |= 1u << bit;
      WireField<T>::Put(p, *field);
      p += WireField<T>::kSize;
    }
  });
  StoreBe16(start, g.id);
  StoreBe32(start + 2, present);
  w->Shrink(static_cast<size_t>(start + kGroupPrefixLen + G::kMaxBytes - p));
  w->End(at);
}

// Reads the present fields; kChecked: bound-check each one (the value may be shorter than
// all known fields). Returns false if a present field runs past the value.
template <bool kChecked, class G>
bool DecodeGroupFields(uint32_t present, const uint8_t* p, size_t left, G* g) {
  bool short_value = false;
  G::ForEachField(*g, [&](int bit, auto& field) {
    using T = typename std::remove_cvref_t<decltype(field)>::value_type;
    if (!(present & (1u << bit)) || (kChecked && short_value)) {
      field.reset();
      return;
    }
    if (kChecked) {
      if (left < WireField<T>::kSize) {
        short_value = true;
        field.reset();
        return;
      }
      left -= WireField<T>::kSize;
    }
    field = WireField<T>::Get(p);
    p += WireField<T>::kSize;
  });
  return !short_value;
}

// Decodes a group TLV's value into `g` (every field is set or reset). Bits this version
// does not know, and the bytes after the known fields, are ignored.
template <class G>
absl::Status DecodeGroup(std::span<const uint8_t> v, G* g) {
  if (v.size() < kGroupPrefixLen) return DecodeFailure(DecodeError::kFieldTooShort);
  g->id = LoadBe16(v.data());
  const uint32_t present = LoadBe32(v.data() + 2);
  const size_t left = v.size() - kGroupPrefixLen;
  // Room for every known field: no per-field bound checks needed (the common case).
  const bool ok = left >= G::kMaxBytes
                      ? DecodeGroupFields<false>(present, v.data() + kGroupPrefixLen, left, g)
                      : DecodeGroupFields<true>(present, v.data() + kGroupPrefixLen, left, g);
  return ok ? absl::OkStatus() : DecodeFailure(DecodeError::kFieldTooShort);
}

}  // namespace dmpd

#endif  // DMPD_COMMON_FIELD_GROUP_H_
