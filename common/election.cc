// SPDX-License-Identifier: BSD-3-Clause
#include "common/election.h"

#include "common/byte_order.h"
#include "common/fixed_tlv.h"

namespace dmpd {
namespace {

// "election": term be32 @0, node be16 @4, priority u8 @6, reserved u8 @7,
// view_cycle be32 @8.
struct ElectionLayout {
  static constexpr TlvType kType = TlvType::kElection;
  static constexpr size_t kLen = 12;
  static void Put(const ElectionFields& m, uint8_t* p) {
    StoreBe32(p, m.term);
    StoreBe16(p + 4, m.node);
    p[6] = m.priority;
    p[7] = 0;
    StoreBe32(p + 8, m.view_cycle);
  }
  static void Get(const uint8_t* p, ElectionFields* m) {
    m->term = LoadBe32(p);
    m->node = LoadBe16(p + 4);
    m->priority = p[6];
    m->view_cycle = LoadBe32(p + 8);
  }
};

}  // namespace

absl::Status EncodeBody(const ElectionFields& m, std::vector<uint8_t>* out) {
  return EncodeFixedBody<ElectionLayout>(m, out);
}
absl::Status DecodeBody(std::span<const uint8_t> in, ElectionFields* out) {
  return DecodeFixedBody<ElectionLayout>(in, out);
}

}  // namespace dmpd
