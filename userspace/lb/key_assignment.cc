// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/key_assignment.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace dmpd::lb {

absl::Status ValidateHysteresis(const HysteresisConfig& h) {
  if (h.min_hold_periods == 0 || h.max_hold_periods < h.min_hold_periods ||
      h.first_hold_periods == 0 || h.first_hold_periods > h.max_hold_periods) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hysteresis holds must satisfy 1 <= min (", h.min_hold_periods, ") <= max (",
        h.max_hold_periods, ") periods and 1 <= first (", h.first_hold_periods, ") <= max"));
  }
  if (!(h.min_gain >= 0) || !std::isfinite(h.min_gain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("hysteresis min_gain ", h.min_gain, " must be finite and >= 0"));
  }
  return absl::OkStatus();
}

HoldOutcome ReassessPort(const PortTable& table, LoadLedger& ledger, uint32_t hash,
                         uint32_t period, const HysteresisConfig& h, double bits_per_second,
                         PortPickFn pick, PortHold* hold) {
  if (hold->port == kNoPort) {
    hold->port = pick(table, ledger, hash);
    if (hold->port == kNoPort) return HoldOutcome::kKept;
    ledger.Move(table, kNoPort, hold->port, bits_per_second);
    *hold = PortHold{hold->port, period, h.first_hold_periods};
    return HoldOutcome::kAssigned;
  }
  // A table with fewer ports than the key's index: the port is gone.
  if (hold->port >= table.size() || !table.port(hold->port).available) {
    hold->port = pick(table, ledger, hash);
    ledger.Move(table, kNoPort, hold->port, bits_per_second);
    hold->moved_period = period;  // the backoff state is kept: this move was not a choice
    if (hold->hold_periods == 0) hold->hold_periods = h.min_hold_periods;
    return HoldOutcome::kLeftUnavailable;
  }
  if (!ledger.Overloaded(table, hold->port)) return HoldOutcome::kKept;
  const uint32_t held_for = period - hold->moved_period;
  if (held_for < hold->hold_periods) return HoldOutcome::kKept;
  const uint8_t lighter = ledger.LeastLoadedSpread(table, hash);
  if (lighter == kNoPort || lighter == hold->port) return HoldOutcome::kKept;
  const double after = ledger.load(lighter) + ledger.KeyLoad(table, lighter, bits_per_second);
  if (ledger.load(hold->port) - after < h.min_gain) return HoldOutcome::kKept;
  ledger.Move(table, hold->port, lighter, bits_per_second);

  const bool calm = held_for >= 2 * hold->hold_periods;
  hold->hold_periods =
      calm ? h.min_hold_periods : std::min(2 * hold->hold_periods, h.max_hold_periods);
  hold->port = lighter;
  hold->moved_period = period;
  return HoldOutcome::kLeftOverloaded;
}

}  // namespace dmpd::lb
