// SPDX-License-Identifier: BSD-3-Clause
// Decision: what the balancer tells the worker for one message (steps 3–6).
#ifndef DMPD_USERSPACE_LB_DECISION_H_
#define DMPD_USERSPACE_LB_DECISION_H_

#include <cstdint>

#include "common/mac_address.h"

namespace dmpd::lb {

enum DecisionFlag : uint8_t {
  kDecisionNoSendPort = 1 << 0,     // no local port available: do not send
  kDecisionNoReceivePort = 1 << 1,  // the destination has no available port, or no view
  kDecisionNewKey = 1 << 2,
  kDecisionRepicked = 1 << 3,    // a known key changed port on either side
  kDecisionMayReorder = 1 << 4,  // ... away from a port still up
};

struct Decision {
  MacAddress src_mac{};       // step 3/4: the sending port's MAC
  MacAddress dst_mac{};       // step 5: the receiving port's MAC
  uint16_t send_port = 0;     // local PortInput::port_id
  uint16_t receive_port = 0;  // the destination's PortInfo::id
  uint16_t tx_queue = 0;      // step 6: the sending port's TX queue for this worker
  uint8_t flags = 0;          // DecisionFlag
  bool ok() const { return (flags & (kDecisionNoSendPort | kDecisionNoReceivePort)) == 0; }
};

// Flags that describe this message's decision only, not the key's ports.
inline constexpr uint8_t kDecisionEventFlags =
    kDecisionNewKey | kDecisionRepicked | kDecisionMayReorder;

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_DECISION_H_
