// SPDX-License-Identifier: BSD-3-Clause
// Stickiness (SPEC LB-6): a key keeps the ports it was given, so its frames stay in order,
// unless a port becomes unavailable or the criterion calls it overloaded. Moving off an
// overloaded port is damped by hysteresis, because loads are measured once a period and a
// heavy key that moves makes its new port the loaded one: without damping it would move
// back and forth every period (ping-pong), reordering its frames each time.
//
// The damping, per side (sending, receiving) of each key:
//  - after taking a port the key holds it for `hold_periods` before an overload may move it
//    (a new key only until its traffic has been measured once: `first_hold_periods`);
//  - it moves only if the least-loaded port, with the key's own traffic added, is still
//    lighter by at least `min_gain` (a key heavier than the gap stays: moving it would only
//    move the hot spot);
//  - a key that moves again soon after its last move doubles its hold (up to
//    max_hold_periods); one that stayed put for twice its hold starts again from
//    min_hold_periods. A key pushed around by alternating loads thus moves ever more rarely.
// An unavailable port is left at once, whatever the hold.
//
// Loads are the period's as the LoadLedger has them: each move is booked there (the key's
// traffic taken off its old port and put on its new one), so the next key to re-check in
// the same period sees it.
#ifndef DMPD_USERSPACE_LB_KEY_ASSIGNMENT_H_
#define DMPD_USERSPACE_LB_KEY_ASSIGNMENT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "userspace/lb/load_ledger.h"
#include "userspace/lb/port_table.h"

namespace dmpd::lb {

struct HysteresisConfig {
  // 2 periods: the load a move causes is only seen one period later, so a key must at
  // least wait to see the effect of its own move.
  uint32_t min_hold_periods = 2;
  // A new key's first port is picked before its traffic is known (it has none yet); the
  // next period's sample measures it, so an overload may move it from then on.
  uint32_t first_hold_periods = 1;
  uint32_t max_hold_periods = 32;
  double min_gain = 0.05;  // load ratio; moving a key for less is not worth a reorder
};

absl::Status ValidateHysteresis(const HysteresisConfig& h);

// One side of a key's assignment.
struct PortHold {
  uint8_t port = kNoPort;     // index in the node's PortTable
  uint32_t moved_period = 0;  // the period it took `port`
  uint32_t hold_periods = 0;  // periods to stay before an overload may move it
};

struct KeyAssignment {
  PortHold send;
  PortHold receive;
  uint32_t last_used_period = 0;  // for the report's "active keys"
};

enum class HoldOutcome : uint8_t {
  kKept,             // same port (or still none)
  kAssigned,         // had none, got one
  kLeftUnavailable,  // its port went down or vanished: re-picked (or none left)
  kLeftOverloaded,   // its port was overloaded and the hold and gain allowed a move
};

// The common case, inlined on the data path: the port is still there, available and not
// overloaded, so the key keeps it whatever the hold.
inline bool KeepsPortOutright(const PortTable& table, const LoadLedger& ledger,
                              const PortHold& hold) {
  if (hold.port >= table.size()) return false;
  return table.port(hold.port).available && !ledger.Overloaded(table, hold.port);
}

using PortPickFn = uint8_t (*)(const PortTable&, const LoadLedger&, uint32_t hash);

// Keeps or re-picks `hold`'s port against this period's `table` and `ledger`; `pick`
// chooses a port for a key that has none or lost its own (PickSendPort / PickReceivePort).
// `bits_per_second`: the key's traffic over the last period (0: not known), booked in the
// ledger when the key moves.
HoldOutcome ReassessPort(const PortTable& table, LoadLedger& ledger, uint32_t hash,
                         uint32_t period, const HysteresisConfig& h, double bits_per_second,
                         PortPickFn pick, PortHold* hold);

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_KEY_ASSIGNMENT_H_
