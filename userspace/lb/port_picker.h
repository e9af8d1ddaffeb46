// SPDX-License-Identifier: BSD-3-Clause
// The paper's port choice for a key seen for the first time (§3.2 steps 2–5; SPEC LB-4).
// Re-choosing for a key that already has ports is key_assignment.h's job.
#ifndef DMPD_USERSPACE_LB_PORT_PICKER_H_
#define DMPD_USERSPACE_LB_PORT_PICKER_H_

#include <cstdint>

#include "userspace/lb/load_ledger.h"
#include "userspace/lb/port_table.h"

namespace dmpd::lb {

// Loads are the period's as `ledger` has them (the measured ones, adjusted by this
// period's moves).

// Steps 2–4: the port `hash mod n` over all of the node's ports; if that one is not
// available, or the criterion calls it overloaded, the least-loaded available port
// instead (spread over ties by the hash). kNoPort when no port is available.
uint8_t PickSendPort(const PortTable& local, const LoadLedger& ledger, uint32_t hash);

// Step 5: the least-loaded available port of the destination (spread over ties by the
// hash). kNoPort when none is available.
uint8_t PickReceivePort(const PortTable& destination, const LoadLedger& ledger, uint32_t hash);

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_PORT_PICKER_H_
