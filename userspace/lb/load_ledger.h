// SPDX-License-Identifier: BSD-3-Clause
// LoadLedger: one node's port loads during a period as the worker's own re-picks change
// them — the paper's "heap adjustment" after each pick (§3.2). The snapshot holds what the
// last sample measured; a key moved off a hot port this period takes its traffic with it,
// and the next key to re-check must see that. Without it every key of a hot port moves
// to the same least-loaded port in the same period (a herd), which is then the hot one:
// the lab's experiment showed exactly that (docs/lb.md, "The experiment").
//
// A key's share of a port is its traffic over the last period divided by the port's
// bandwidth, weighted like utilisation in eq. (5): λ_u · rate / BW. A port whose
// bandwidth is not known gets no adjustment (the share cannot be expressed as load).
//
// Measured loads lag the moves: a local port's L_i is smoothed (eq. 6, γ = 0.8), so the
// first sample after a move shows only γ of it; a destination's port loads also wait for
// that node's next sample and the heartbeat that carries it. A ledger that forgot its
// moves at each reset would see the port a key just left as still hot and move more keys
// off it (the receiving side of the lab's experiment swung between ports for 8 s after
// its load shift). So each reset carries the part of the last moves the measurement has
// not taken in yet: `move_carry` of what was still carried, period after period.
//
// Owned by the worker that decides; reset from the snapshot once a period.
#ifndef DMPD_USERSPACE_LB_LOAD_LEDGER_H_
#define DMPD_USERSPACE_LB_LOAD_LEDGER_H_

#include <cstdint>
#include <vector>

#include "userspace/lb/port_table.h"

namespace dmpd::lb {

class LoadLedger {
 public:
  // `move_carry` in [0, 1): 0 forgets moves at each reset (measurements without lag).
  explicit LoadLedger(double utilisation_weight = 0.84, double move_carry = 0)
      : utilisation_weight_(utilisation_weight), move_carry_(move_carry) {}

  // Starts a period with the table's measured loads plus what is carried of earlier moves,
  // `periods` after the last reset (the carry shrinks once per period, even in periods
  // with no decision). Allocates only to grow (a table of another size drops the carry).
  void Reset(const PortTable& table, uint32_t periods = 1);

  double load(uint8_t port) const { return loads_[port]; }

  // The criterion's verdict on the port's adjusted load, against the limit of the adjusted
  // loads (a move between ports of different bandwidths changes the mean: a key leaving a
  // slow port for a fast one takes more load off the one than it puts on the other).
  bool Overloaded(const PortTable& table, uint8_t port) const {
    return table.port(port).available && loads_[port] > Limit(table);
  }

  // One of the available ports within the table's tie margin of the least adjusted load,
  // chosen by `hash` (so that equally light ports share new keys); kNoPort if none.
  uint8_t LeastLoadedSpread(const PortTable& table, uint32_t hash) const;

  // The load `bits_per_second` of traffic puts on `port` (0 when its bandwidth is unknown).
  double KeyLoad(const PortTable& table, uint8_t port, double bits_per_second) const;

  // A key carrying `bits_per_second` leaves `from` for `to`; either may be kNoPort.
  void Move(const PortTable& table, uint8_t from, uint8_t to, double bits_per_second);

 private:
  double Limit(const PortTable& table) const;

  double utilisation_weight_;
  double move_carry_;
  std::vector<double> loads_;
  std::vector<double> carried_;  // per port: moves' load not yet in the measured loads
  mutable double limit_ = 0;
  mutable bool limit_valid_ = false;  // until the next Move or Reset
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_LOAD_LEDGER_H_
