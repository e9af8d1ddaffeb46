// SPDX-License-Identifier: BSD-3-Clause
#include "common/leave.h"

#include "common/byte_order.h"
#include "common/fixed_tlv.h"

namespace dmpd {
namespace {

// "leave": reason u8 @0, reserved u8[3] @1, term be32 @4.
struct LeaveLayout {
  static constexpr TlvType kType = TlvType::kLeave;
  static constexpr size_t kLen = 8;
  static void Put(const Leave& m, uint8_t* p) {
    p[0] = m.reason;
    p[1] = p[2] = p[3] = 0;
    StoreBe32(p + 4, m.term);
  }
  static void Get(const uint8_t* p, Leave* m) {
    m->reason = p[0];
    m->term = LoadBe32(p + 4);
  }
};

}  // namespace

std::string_view LeaveReasonName(uint8_t reason) {
  switch (reason) {
#define DMPD_LEAVE_REASON_NAME(e, value, name) \
  case value:                                  \
    return name;
    DMPD_LEAVE_REASONS(DMPD_LEAVE_REASON_NAME)
#undef DMPD_LEAVE_REASON_NAME
  }
  return "unknown";
}

absl::Status EncodeBody(const Leave& m, std::vector<uint8_t>* out) {
  return EncodeFixedBody<LeaveLayout>(m, out);
}
absl::Status DecodeBody(std::span<const uint8_t> in, Leave* out) {
  return DecodeFixedBody<LeaveLayout>(in, out);
}

}  // namespace dmpd
