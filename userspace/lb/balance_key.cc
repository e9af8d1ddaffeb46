// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/balance_key.h"

#include "common/byte_order.h"

namespace dmpd::lb {

BalanceKeyBytes SerializeBalanceKey(const BalanceKey& key) {
  BalanceKeyBytes b{};
  StoreBe16(&b[0], key.src_node);
  StoreBe16(&b[2], key.dst_node);
  StoreBe16(&b[4], key.src_pipe);
  StoreBe16(&b[6], key.dst_pipe);
  b[8] = key.type;
  return b;
}

uint64_t MixBalanceKey(const BalanceKey& key) {
  uint64_t x = (uint64_t{key.src_node} << 48) | (uint64_t{key.dst_node} << 32) |
               (uint64_t{key.src_pipe} << 16) | key.dst_pipe;
  x ^= uint64_t{key.type} * 0xff51afd7ed558ccdULL;
  // A 64-bit finaliser (the splitmix64 constants): neighbouring pipe numbers must not land
  // in neighbouring slots of an open-addressing table.
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 29;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 32;
  return x;
}

}  // namespace dmpd::lb
