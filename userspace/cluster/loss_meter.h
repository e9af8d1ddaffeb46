// SPDX-License-Identifier: BSD-3-Clause
// LossMeter: the master's eq. (2) for every port in the cluster (MON-6, CLU-2), over windows
// of a few cycles. Its inputs are cumulative receipts (userspace/control/peer_receipts.h):
// for a member's port, the master's own; for one of the master's ports, every member's,
// sent back in their responses. At the end of a window each port's loss is
//   R_loss = 1 − Σ_r ΔT_recv,r / Σ_r ΔT_send,r
// over the reporters r that heard it in the window, T_send being the port's sequence
// numbers spanned and T_recv the frames that arrived. A reporter whose counts went down
// (the sender restarted) sits that window out; one silent for three windows is
// forgotten. A port nobody numbered a frame of in a window has no loss value (no evidence).
#ifndef DMPD_USERSPACE_CLUSTER_LOSS_METER_H_
#define DMPD_USERSPACE_CLUSTER_LOSS_METER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>

#include "userspace/control/peer_receipts.h"

namespace dmpd::cluster {

class LossMeter {
 public:
  // What `reporter` holds now of the frames of `node`'s port `port`, cumulative.
  void Observe(uint16_t node, uint16_t port, uint16_t reporter, const Receipt& cumulative);
  // Ends the window: every port's loss from the receipts observed since the last one.
  void CloseWindow();
  // The last window's loss of that port, 0..1; nullopt without evidence.
  std::optional<double> Loss(uint16_t node, uint16_t port) const;

  size_t reporters() const { return pairs_.size(); }

 private:
  struct Pair {
    Receipt start;   // at the last window's end
    Receipt latest;
    uint32_t idle_windows = 0;  // windows that ended without a report
  };
  using PairKey = std::tuple<uint16_t, uint16_t, uint16_t>;  // node, port, reporter

  std::map<PairKey, Pair> pairs_;
  std::map<std::pair<uint16_t, uint16_t>, double> loss_;
};

}  // namespace dmpd::cluster

#endif  // DMPD_USERSPACE_CLUSTER_LOSS_METER_H_
