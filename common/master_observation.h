// SPDX-License-Identifier: BSD-3-Clause
// MasterObservation: what a node saw of the master on one of its ports, sent back in the
// heartbeat response (paper §2.4: "对master的监控信息"). The master turns these into
// per-port loss (eq. 2: T_recv from peers against its own T_send) and port liveness.
#ifndef DMPD_COMMON_MASTER_OBSERVATION_H_
#define DMPD_COMMON_MASTER_OBSERVATION_H_

#include <cstdint>
#include <optional>

#include "common/field_group.h"
#include "common/tlv_types.h"

namespace dmpd {

// X(bit, name, type, "unit and meaning"). Append only (field_group.h).
#define DMPD_MASTER_OBSERVATION_FIELDS(X)                                                  \
  X(0, master_port, uint16_t, "the master's sender_port last heard on this port")          \
  X(1, heartbeats_received, uint64_t, "heartbeat frames from the master on this port")     \
  X(2, last_sequence, uint32_t, "header sequence of the last of them")                     \
  X(3, sync_delay_us, int32_t,                                                             \
    "receive time of the cycle's time_sync minus its master time, us (includes the clock " \
    "offset; the trend is what matters)")

struct MasterObservation {
  static constexpr TlvType kTlvType = TlvType::kObservation;
  uint16_t id = 0;  // the observing node's port index
  DMPD_FIELD_GROUP(DMPD_MASTER_OBSERVATION_FIELDS);
  friend bool operator==(const MasterObservation&, const MasterObservation&) = default;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_MASTER_OBSERVATION_H_
