// SPDX-License-Identifier: BSD-3-Clause
// BalanceKey: the paper's key tuple (Snode_num, Dnode_num, Spump, Dpump, Ptype) (§3.1;
// SPEC LB-1). Every message with the same key takes the same ports, so its frames stay in
// order (LB-6).
#ifndef DMPD_USERSPACE_LB_BALANCE_KEY_H_
#define DMPD_USERSPACE_LB_BALANCE_KEY_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace dmpd::lb {

struct BalanceKey {
  uint16_t src_node = 0;  // Snode_num
  uint16_t dst_node = 0;  // Dnode_num
  uint16_t src_pipe = 0;  // Spump
  uint16_t dst_pipe = 0;  // Dpump
  uint8_t type = 0;       // Ptype
  friend bool operator==(const BalanceKey&, const BalanceKey&) = default;
};

// The bytes the Toeplitz hash reads, in this fixed order (fields as in the paper's tuple,
// multi-byte fields big-endian like the RSS input of an IP header):
//
//     src_node be16 | dst_node be16 | src_pipe be16 | dst_pipe be16 | type u8
//
// The order is part of the hash: changing it moves every key to another port.
inline constexpr size_t kBalanceKeyBytes = 9;
using BalanceKeyBytes = std::array<uint8_t, kBalanceKeyBytes>;

BalanceKeyBytes SerializeBalanceKey(const BalanceKey& key);

// The key in one 64-bit word plus the type, for cheap table indexing (not the hash that
// picks ports: that is the Toeplitz hash).
uint64_t MixBalanceKey(const BalanceKey& key);

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_BALANCE_KEY_H_
