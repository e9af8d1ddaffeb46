// SPDX-License-Identifier: BSD-3-Clause
// What dmpd-perf puts in a message so that the receiver can tell, for each one, its place in
// the run and whether it arrived intact. Bytes are little-endian whatever the host.
//
//   size >= 16:  [0,8) sequence  [8,16) check word  [16,size) filler
//   8..15:       [0,8) sequence  [8,size) the check word's low bytes
//   1..7:        the sequence's low `size` bytes (no check: unwrapped by the receiver
//                against the highest sequence seen, see UnwrapSequence)
//
// Everything after the sequence is a function of it and of the message's size: the check
// word is CheckWord(sequence, size), the filler's word i that + (i + 1) × the golden ratio.
// The receiver regenerates what the message must hold and compares, so any changed bit is
// caught exactly, a message cut short or grown fails (its size makes other words), and a
// message moved or duplicated into another's place fails too (its filler belongs to another
// sequence). A comparison has no chain of multiplies (a checksum over 1 KiB had one of 128,
// and dmpd-perf must not be what limits the rate): encoding and checking are a few loads
// and stores a word.
#ifndef DMPD_TOOLS_DMPD_PERF_PERF_PAYLOAD_H_
#define DMPD_TOOLS_DMPD_PERF_PERF_PAYLOAD_H_

#include <bit>
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
// A whole word: one load or store on a little-endian host.
inline uint64_t LoadWord(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return std::endian::native == std::endian::little ? v : __builtin_bswap64(v);
}
inline void StoreWord(std::byte* p, uint64_t v) {
  if constexpr (std::endian::native != std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

inline uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

// A bijection of the sequence for each size (sizes fit in the top 17 bits: at most 64 KiB).
inline uint64_t CheckWord(uint64_t seq, size_t size) { return Mix(seq ^ (uint64_t(size) << 47)); }

inline uint64_t LowBytes(uint64_t v, size_t n) {  // n < 8
  return v & ((uint64_t{1} << (8 * n)) - 1);
}

inline void EncodePayload(uint64_t seq, std::span<std::byte> out) {
  const size_t size = out.size();
  if (size < 8) {
    StoreLe(out.data(), seq, size);
    return;
  }
  StoreWord(out.data(), seq);
  const uint64_t check = CheckWord(seq, size);
  if (size < kFullHeader) {
    StoreLe(out.data() + 8, check, size - 8);
    return;
  }
  StoreWord(out.data() + 8, check);
  uint64_t word = check;
  size_t i = kFullHeader;
  for (; i + 8 <= size; i += 8) StoreWord(out.data() + i, word += kGolden);
  if (i < size) StoreLe(out.data() + i, word + kGolden, size - i);
}

struct DecodedPayload {
  uint64_t sequence = 0;  // whole, or the low `sequence_bits` bits
  unsigned sequence_bits = 64;
  bool intact = true;  // what follows the sequence matches it (always true below 8 bytes)
};

inline DecodedPayload DecodePayload(std::span<const std::byte> in) {
  DecodedPayload d;
  const size_t size = in.size();
  if (size < 8) {
    d.sequence = LoadLe(in.data(), size);
    d.sequence_bits = unsigned(8 * size);
    return d;
  }
  d.sequence = LoadWord(in.data());
  const uint64_t check = CheckWord(d.sequence, size);
  if (size < kFullHeader) {
    d.intact = LoadLe(in.data() + 8, size - 8) == LowBytes(check, size - 8);
    return d;
  }
  // Differences are OR-ed, not tested word by word: the loop has no branch to predict.
  uint64_t diff = LoadWord(in.data() + 8) ^ check;
  uint64_t word = check;
  size_t i = kFullHeader;
  for (; i + 8 <= size; i += 8) diff |= LoadWord(in.data() + i) ^ (word += kGolden);
  if (i < size) diff |= LoadLe(in.data() + i, size - i) ^ LowBytes(word + kGolden, size - i);
  d.intact = diff == 0;
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
