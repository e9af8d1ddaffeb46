// SPDX-License-Identifier: BSD-3-Clause
// PipeInfo: the paper's p… field group (Fig. 3; MON-4, PIPE-2), one per pipe of a node.
// Units are fixed here; absent = unknown.
#ifndef DMPD_COMMON_PIPE_INFO_H_
#define DMPD_COMMON_PIPE_INFO_H_

#include <cstdint>
#include <optional>

#include "common/field_group.h"
#include "common/tlv_types.h"

namespace dmpd {

enum PipeState : uint8_t {
  kPipeOpen = 1,
  kPipeThrottled = 2,  // held at its threshold by feedback control (PIPE-3)
  kPipeClosed = 3,
};

// X(bit, name, type, "unit and meaning"). Append only (field_group.h).
#define DMPD_PIPE_INFO_FIELDS(X)                                        \
  X(0, state, uint8_t, "PipeState")                                     \
  X(1, priority, uint8_t, "send priority, higher first")                \
  X(2, buffer_bytes, uint64_t, "ring capacity, bytes")                  \
  X(3, fill_bytes, uint64_t, "bytes queued now")                        \
  X(4, threshold_bps, uint64_t, "traffic threshold, bits/s")            \
  X(5, tx_bps, uint64_t, "send rate over the last interval, bits/s")    \
  X(6, rx_bps, uint64_t, "receive rate over the last interval, bits/s") \
  X(7, drops, uint64_t, "messages dropped (ring full, no such pipe)")

struct PipeInfo {
  static constexpr TlvType kTlvType = TlvType::kPipeInfo;
  uint16_t id = 0;  // pipe id on its node
  DMPD_FIELD_GROUP(DMPD_PIPE_INFO_FIELDS);
  friend bool operator==(const PipeInfo&, const PipeInfo&) = default;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_PIPE_INFO_H_
