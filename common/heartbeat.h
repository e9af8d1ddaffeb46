// SPDX-License-Identifier: BSD-3-Clause
// Heartbeat: the master's broadcast of the aggregated view of every node (paper §2.2,
// CLU-2), on every port. Payload: one "view" TLV, then one "node" TLV per node. A view
// larger than one frame is segmented by FrameWriter (message_id = cycle).
#ifndef DMPD_COMMON_HEARTBEAT_H_
#define DMPD_COMMON_HEARTBEAT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"
#include "common/node_view.h"

namespace dmpd {

struct Heartbeat {
  static constexpr uint8_t kKind = DMPD_KIND_HEARTBEAT;
  uint32_t term = 0;
  uint32_t cycle = 0;
  uint64_t master_time_ns = 0;  // the master's CLOCK_REALTIME when it built the view, ns
  std::vector<NodeView> nodes;  // at most kMaxViewNodes
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

absl::Status EncodeBody(const Heartbeat& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, Heartbeat* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_HEARTBEAT_H_
