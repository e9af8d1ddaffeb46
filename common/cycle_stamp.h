// SPDX-License-Identifier: BSD-3-Clause
// The fixed part heartbeats and heartbeat responses share: term be32 @0, cycle be32 @4,
// a sender time in ns be64 @8. One layout, two TLV types ("view", "response").
#ifndef DMPD_COMMON_CYCLE_STAMP_H_
#define DMPD_COMMON_CYCLE_STAMP_H_

#include <cstddef>
#include <cstdint>

#include "common/byte_order.h"
#include "common/tlv_types.h"

namespace dmpd {

// M has term, cycle and the time member named by TimeMember.
template <TlvType Type, class M, uint64_t M::*TimeMember>
struct CycleStampLayout {
  static constexpr TlvType kType = Type;
  static constexpr size_t kLen = 16;
  static void Put(const M& m, uint8_t* p) {
    StoreBe32(p, m.term);
    StoreBe32(p + 4, m.cycle);
    StoreBe64(p + 8, m.*TimeMember);
  }
  static void Get(const uint8_t* p, M* m) {
    m->term = LoadBe32(p);
    m->cycle = LoadBe32(p + 4);
    m->*TimeMember = LoadBe64(p + 8);
  }
};

}  // namespace dmpd

#endif  // DMPD_COMMON_CYCLE_STAMP_H_
