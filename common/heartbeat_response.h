// SPDX-License-Identifier: BSD-3-Clause
// HeartbeatResponse: a node's answer to the master's time_sync (paper §2.4): its own
// monitoring data, what it observed of the master on each of its ports and how many of
// each master port's frames it received. Payload: one "response" TLV, one "node" TLV (the
// sender's), one "observation" TLV per port, one "receipt" TLV per master port.
#ifndef DMPD_COMMON_HEARTBEAT_RESPONSE_H_
#define DMPD_COMMON_HEARTBEAT_RESPONSE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"
#include "common/master_observation.h"
#include "common/node_view.h"
#include "common/peer_receipt.h"

namespace dmpd {

struct HeartbeatResponse {
  static constexpr uint8_t kKind = DMPD_KIND_HEARTBEAT_RESPONSE;
  uint32_t term = 0;
  uint32_t cycle = 0;                           // the cycle of the time_sync being answered
  uint64_t node_time_ns = 0;                    // the node's CLOCK_REALTIME when sending, ns
  NodeView self;                                // self.info.id must be the header's sender_node
  std::vector<MasterObservation> observations;  // at most kMaxObservations
  std::vector<PeerReceipt> receipts;            // at most kMaxNodePorts
  friend bool operator==(const HeartbeatResponse&, const HeartbeatResponse&) = default;
};

absl::Status EncodeBody(const HeartbeatResponse& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, HeartbeatResponse* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_HEARTBEAT_RESPONSE_H_
