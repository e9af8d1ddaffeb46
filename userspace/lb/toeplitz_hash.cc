// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/toeplitz_hash.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd::lb {
namespace {

// Bit `i` of the key read as one big-endian bit string (bit 0 = MSB of byte 0).
uint32_t KeyBit(std::span<const uint8_t> key, size_t i) { return (key[i / 8] >> (7 - i % 8)) & 1u; }

// The 32 key bits starting at bit `first`.
uint32_t KeyWindow(std::span<const uint8_t> key, size_t first) {
  uint32_t w = 0;
  for (size_t i = 0; i < 32; ++i) w = (w << 1) | KeyBit(key, first + i);
  return w;
}

}  // namespace

absl::StatusOr<ToeplitzHash> ToeplitzHash::Create(std::span<const uint8_t> key) {
  if (key.size() < 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Toeplitz key of ", key.size(), " bytes is too short: it needs at least 5 (RSS uses 40)"));
  }
  const size_t max_input = key.size() - 4;
  std::vector<std::array<uint32_t, 256>> tables(max_input);
  for (size_t p = 0; p < max_input; ++p) {
    std::array<uint32_t, 8> window;  // window[j]: what input bit j of byte p contributes
    for (size_t j = 0; j < 8; ++j) window[j] = KeyWindow(key, p * 8 + j);
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t h = 0;
      for (size_t j = 0; j < 8; ++j) {
        if (b & (0x80u >> j)) h ^= window[j];
      }
      tables[p][b] = h;
    }
  }
  return ToeplitzHash(std::move(tables));
}

ToeplitzHash ToeplitzHash::CreateMicrosoftDefault() { return *Create(kMicrosoftRssKey); }

uint32_t ToeplitzHash::Hash(std::span<const uint8_t> input) const {
  const size_t n = std::min(input.size(), tables_.size());
  uint32_t h = 0;
  for (size_t p = 0; p < n; ++p) h ^= tables_[p][input[p]];
  return h;
}

uint32_t ToeplitzHash::Hash(const BalanceKey& key) const {
  if (tables_.size() < kBalanceKeyBytes) {  // a short custom key: hash what it covers
    const BalanceKeyBytes bytes = SerializeBalanceKey(key);
    return Hash(std::span<const uint8_t>(bytes));
  }
  // The bytes of SerializeBalanceKey, read straight from the fields.
  const std::array<uint32_t, 256>* t = tables_.data();
  return t[0][key.src_node >> 8] ^ t[1][key.src_node & 0xff] ^ t[2][key.dst_node >> 8] ^
         t[3][key.dst_node & 0xff] ^ t[4][key.src_pipe >> 8] ^ t[5][key.src_pipe & 0xff] ^
         t[6][key.dst_pipe >> 8] ^ t[7][key.dst_pipe & 0xff] ^ t[8][key.type];
}

uint32_t ToeplitzHashBitwise(std::span<const uint8_t> key, std::span<const uint8_t> input) {
  if (key.size() < 5) return 0;
  const size_t n = std::min(input.size(), key.size() - 4);
  uint32_t result = 0;
  uint32_t window = KeyWindow(key, 0);
  size_t next_key_bit = 32;
  for (size_t byte = 0; byte < n; ++byte) {
    for (int bit = 7; bit >= 0; --bit) {
      if (input[byte] & (1u << bit)) result ^= window;
      // Slide the window one key bit on; past the key's end, zeros come in.
      const uint32_t in = next_key_bit < key.size() * 8 ? KeyBit(key, next_key_bit) : 0;
      window = (window << 1) | in;
      ++next_key_bit;
    }
  }
  return result;
}

}  // namespace dmpd::lb
