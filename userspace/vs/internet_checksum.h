// SPDX-License-Identifier: BSD-3-Clause
// The Internet checksum (RFC 1071) and its incremental update (RFC 1624, eqn. 3):
// Double-NAT rewrites both addresses and both ports of every packet, and recomputing the
// IPv4 and TCP/UDP checksums over the whole packet would cost a pass over the payload.
// Values are the fields' numeric values in host order (a big-endian 16-bit word read with
// LoadBe16); the checksum itself likewise. Pure and header-only: the worker inlines it.
#ifndef DMPD_USERSPACE_VS_INTERNET_CHECKSUM_H_
#define DMPD_USERSPACE_VS_INTERNET_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace dmpd::vs {

// One's-complement sum of `data` as big-endian 16-bit words (an odd last byte padded with
// zero), folded to 16 bits, added to `initial` (a partial sum, e.g. the pseudo-header's).
inline uint32_t OnesComplementSum(std::span<const uint8_t> data, uint32_t initial = 0) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

// The checksum field's value for `data` (RFC 1071): the complement of the sum.
inline uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial = 0) {
  return static_cast<uint16_t>(~OnesComplementSum(data, initial) & 0xFFFF);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changed from m to m'.
inline uint16_t ChecksumAdjust16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~check) + static_cast<uint32_t>(static_cast<uint16_t>(~old_word)) + new_word;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xFFFF);
}

// The same for a 32-bit field (an IPv4 address): its two words.
inline uint16_t ChecksumAdjust32(uint16_t check, uint32_t old_value, uint32_t new_value) {
  check = ChecksumAdjust16(check, static_cast<uint16_t>(old_value >> 16),
                           static_cast<uint16_t>(new_value >> 16));
  return ChecksumAdjust16(check, static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
}

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_INTERNET_CHECKSUM_H_
