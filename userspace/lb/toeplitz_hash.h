// SPDX-License-Identifier: BSD-3-Clause
// The Toeplitz hash of Microsoft's Receive Side Scaling (the paper's [19]; SPEC LB-1), the
// function NICs use to spread flows over queues, here spreading keys over ports.
//
// Definition: for each set bit i of the input (most significant bit of byte 0 first), XOR
// into the result the 32 bits of the secret key that start at key bit i.
//
// Table-driven: since the hash is linear in the input bits, the contribution of byte value
// b at byte position p is a constant; Create() precomputes it for every (p, b), so a hash
// is one table read and one XOR per input byte instead of eight conditional XORs.
#ifndef DMPD_USERSPACE_LB_TOEPLITZ_HASH_H_
#define DMPD_USERSPACE_LB_TOEPLITZ_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "userspace/lb/balance_key.h"

namespace dmpd::lb {

// Microsoft's default RSS key (the one in its "Verifying the RSS hash calculation"
// document and in most NIC drivers), 40 bytes.
inline constexpr std::array<uint8_t, 40> kMicrosoftRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

class ToeplitzHash {
 public:
  // A key of k bytes hashes inputs of up to k − 4 bytes (the last input bit needs the 32
  // key bits after it). Keys shorter than 5 bytes are refused.
  static absl::StatusOr<ToeplitzHash> Create(std::span<const uint8_t> key);
  static ToeplitzHash CreateMicrosoftDefault();

  // `input.size()` must be at most max_input_bytes(); bytes beyond it are not hashed (a
  // programming error, not a runtime condition: the hot path does not return a status).
  uint32_t Hash(std::span<const uint8_t> input) const;
  uint32_t Hash(const BalanceKey& key) const;

  size_t max_input_bytes() const { return tables_.size(); }

 private:
  explicit ToeplitzHash(std::vector<std::array<uint32_t, 256>> tables)
      : tables_(std::move(tables)) {}

  // tables_[p][b]: the hash of an input that is all zero except byte p = b.
  std::vector<std::array<uint32_t, 256>> tables_;
};

// The definition above, bit by bit: the reference the table-driven version is tested
// against. Same length rule; not for the data path.
uint32_t ToeplitzHashBitwise(std::span<const uint8_t> key, std::span<const uint8_t> input);

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_TOEPLITZ_HASH_H_
