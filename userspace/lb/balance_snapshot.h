// SPDX-License-Identifier: BSD-3-Clause
// BalanceSnapshot: everything the per-message decision reads — the local port table and
// one per destination node — built from the loads of one sampling period and never
// changed afterwards. A new period builds a new snapshot and publishes it through a
// SnapshotSlot (snapshot_slot.h); the decision path only reads, so it needs no lock.
#ifndef DMPD_USERSPACE_LB_BALANCE_SNAPSHOT_H_
#define DMPD_USERSPACE_LB_BALANCE_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "userspace/lb/balance_degree.h"
#include "userspace/lb/port_input.h"
#include "userspace/lb/port_table.h"

namespace dmpd::lb {

struct BalanceSnapshot {
  uint32_t period = 0;  // counts load updates; hysteresis is measured in these
  absl::Time built_at;  // the `now` of the update that built it
  double period_seconds = 0;  // since the update before (0 for the first): a key's rate
  PortTable local;
  std::vector<PortTable> destinations;
  std::vector<uint16_t> destination_nodes;  // destination_nodes[i] is destinations[i]'s node
  // node id → index into destinations, kNoDestination if unknown; sized max id + 1.
  static constexpr uint32_t kNoDestination = 0xFFFFFFFF;
  std::vector<uint32_t> destination_index;

  // The destination's index in `destinations`, kNoDestination if the view lacks the node.
  uint32_t DestinationIndex(uint16_t node) const {
    return node < destination_index.size() ? destination_index[node] : kNoDestination;
  }
  // The destination's table, nullptr if the view does not have that node.
  const PortTable* Destination(uint16_t node) const {
    const uint32_t i = DestinationIndex(node);
    return i == kNoDestination ? nullptr : &destinations[i];
  }
};

// Checks the inputs (≤ kMaxNodePorts per node, loads finite and ≥ 0, one table per node).
absl::StatusOr<std::shared_ptr<const BalanceSnapshot>> BuildBalanceSnapshot(
    std::span<const PortInput> local_ports, std::span<const DestinationPorts> destinations,
    const BalanceCriterionConfig& criterion, double tie_margin, uint32_t period, absl::Time now,
    double period_seconds);

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_BALANCE_SNAPSHOT_H_
