// SPDX-License-Identifier: BSD-3-Clause
#include "common/time_sync.h"

#include "common/byte_order.h"
#include "common/fixed_tlv.h"

namespace dmpd {
namespace {

// "sync": term be32 @0, cycle be32 @4, master_time_ns be64 @8, interval_us be32 @16,
// reply_delay_us be32 @20.
struct SyncLayout {
  static constexpr TlvType kType = TlvType::kSync;
  static constexpr size_t kLen = 24;
  static void Put(const TimeSync& m, uint8_t* p) {
    StoreBe32(p, m.term);
    StoreBe32(p + 4, m.cycle);
    StoreBe64(p + 8, m.master_time_ns);
    StoreBe32(p + 16, m.interval_us);
    StoreBe32(p + 20, m.reply_delay_us);
  }
  static void Get(const uint8_t* p, TimeSync* m) {
    m->term = LoadBe32(p);
    m->cycle = LoadBe32(p + 4);
    m->master_time_ns = LoadBe64(p + 8);
    m->interval_us = LoadBe32(p + 16);
    m->reply_delay_us = LoadBe32(p + 20);
  }
};

}  // namespace

absl::Status EncodeBody(const TimeSync& m, std::vector<uint8_t>* out) {
  return EncodeFixedBody<SyncLayout>(m, out);
}
absl::Status DecodeBody(std::span<const uint8_t> in, TimeSync* out) {
  return DecodeFixedBody<SyncLayout>(in, out);
}

}  // namespace dmpd
