// SPDX-License-Identifier: BSD-3-Clause
// What dmpd-perf puts in a message so that the receiver can tell, for each one, its place in
// the run and whether it arrived intact. Bytes are little-endian whatever the host.
//
//   size >= 16:  [0,8) sequence  [8,16) checksum  [16,size) filler
//   8..15:       [0,8) sequence  [8,size) the checksum's low bytes
//   1..7:        the sequence's low `size` bytes (no checksum: unwrapped by the receiver
//                against the highest sequence seen, see UnwrapSequence)
//
// The filler is a function of the sequence (word i = Mix(seq) + i × golden ratio), so a
// message moved or duplicated into another's place fails its checksum. The checksum is
// FNV-1a applied to 64-bit words (not bytes: 8× faster, and dmpd-perf must not be what
// limits the rate) over the sequence and the filler, the tail byte by byte, then mixed
// (splitmix64's finaliser) so that every bit of the result depends on every input bit.
#ifndef DMPD_TOOLS_DMPD_PERF_PERF_PAYLOAD_H_
#define DMPD_TOOLS_DMPD_PERF_PERF_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace dmpd::perf {

// Message types on the pipe (the wire carries one byte).
inline constexpr uint16_t kTypeData = 1;
inline constexpr uint16_t kTypeEnd = 2;   // payload: total sent (u64 LE), sent 3 times
inline constexpr uint16_t kTypePing = 3;  // echoed by `recv` as kTypePong, same payload
inline constexpr uint16_t kTypePong = 4;
inline constexpr size_t kFullHeader = 16;

inline uint64_t LoadLe(const std::byte* p, size_t n = 8) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}
inline void StoreLe(std::byte* p, uint64_t v, size_t n = 8) {
  for (size_t i = 0; i < n; ++i) p[i] = std::byte(v >> (8 * i));
}

inline uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr uint64_t kFnvPrime = 0x100000001b3ull;

// Checksum of the sequence and of bytes [16, size).
inline uint64_t Checksum(uint64_t seq, std::span<const std::byte> filler) {
  uint64_t h = (kFnvOffset ^ seq) * kFnvPrime;
  size_t i = 0;
  for (; i + 8 <= filler.size(); i += 8) h = (h ^ LoadLe(filler.data() + i)) * kFnvPrime;
  for (; i < filler.size(); ++i) h = (h ^ uint64_t(filler[i])) * kFnvPrime;
  // A multiply carries upwards only: without this mix, the checksum's low bytes (all that
  // fits in a 9..15-byte message) would not depend on the sequence's high bytes.
  return Mix(h);
}

inline void EncodePayload(uint64_t seq, std::span<std::byte> out) {
  const size_t size = out.size();
  if (size < 8) {
    StoreLe(out.data(), seq, size);
    return;
  }
  StoreLe(out.data(), seq);
  if (size > kFullHeader) {
    const uint64_t base = Mix(seq);
    size_t i = kFullHeader, w = 0;
    for (; i + 8 <= size; i += 8, ++w) StoreLe(out.data() + i, base + w * 0x9e3779b97f4a7c15ull);
    if (i < size) StoreLe(out.data() + i, base + w * 0x9e3779b97f4a7c15ull, size - i);
  }
  const uint64_t sum =
      Checksum(seq, size > kFullHeader ? out.subspan(kFullHeader) : std::span<std::byte>());
  StoreLe(out.data() + 8, sum, (size < kFullHeader ? size : kFullHeader) - 8);
}

struct DecodedPayload {
  uint64_t sequence = 0;  // whole, or the low `sequence_bits` bits
  unsigned sequence_bits = 64;
  bool intact = true;  // checksum matches (always true below 8 bytes: nothing to check)
};

inline DecodedPayload DecodePayload(std::span<const std::byte> in) {
  DecodedPayload d;
  const size_t size = in.size();
  if (size < 8) {
    d.sequence = LoadLe(in.data(), size);
    d.sequence_bits = unsigned(8 * size);
    return d;
  }
  d.sequence = LoadLe(in.data());
  const size_t sum_bytes = (size < kFullHeader ? size : kFullHeader) - 8;
  const uint64_t want = LoadLe(in.data() + 8, sum_bytes);
  uint64_t got = Checksum(
      d.sequence, size > kFullHeader ? in.subspan(kFullHeader) : std::span<const std::byte>());
  if (sum_bytes < 8) got &= (uint64_t{1} << (8 * sum_bytes)) - 1;
  d.intact = got == want;
  return d;
}

// The full sequence whose low `bits` bits are `low`, nearest to `reference` (the receiver's
// next expected): exact while fewer than 2^(bits-1) messages are lost or reordered at once.
inline uint64_t UnwrapSequence(uint64_t low, unsigned bits, uint64_t reference) {
  if (bits >= 64) return low;
  const uint64_t span = uint64_t{1} << bits;
  const uint64_t base = reference & ~(span - 1);
  uint64_t best = base | low;
  const uint64_t candidates[2] = {best + span, best >= span ? best - span : best};
  auto dist = [&](uint64_t x) { return x > reference ? x - reference : reference - x; };
  for (uint64_t c : candidates) {
    if (dist(c) < dist(best)) best = c;
  }
  return best;
}

}  // namespace dmpd::perf

#endif  // DMPD_TOOLS_DMPD_PERF_PERF_PAYLOAD_H_
