// SPDX-License-Identifier: BSD-3-Clause
// TimeSync: the master opens each cycle with it (CLU-2); nodes answer with a heartbeat
// response after it. Payload: one "sync" TLV.
#ifndef DMPD_COMMON_TIME_SYNC_H_
#define DMPD_COMMON_TIME_SYNC_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"

namespace dmpd {

struct TimeSync {
  static constexpr uint8_t kKind = DMPD_KIND_TIME_SYNC;
  uint32_t term = 0;            // the master's election term
  uint32_t cycle = 0;           // cycle number, +1 per cycle, wraps
  uint64_t master_time_ns = 0;  // the master's CLOCK_REALTIME when sending, ns
  uint32_t interval_us = 0;     // the cycle interval, us (CLU-5)
  uint32_t reply_delay_us = 0;  // how long after this the master sends the heartbeat, us
  friend bool operator==(const TimeSync&, const TimeSync&) = default;
};

absl::Status EncodeBody(const TimeSync& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, TimeSync* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_TIME_SYNC_H_
