// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/balance_snapshot.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd::lb {

absl::StatusOr<std::shared_ptr<const BalanceSnapshot>> BuildBalanceSnapshot(
    std::span<const PortInput> local_ports, std::span<const DestinationPorts> destinations,
    const BalanceCriterionConfig& criterion, double tie_margin, uint32_t period, absl::Time now,
    double period_seconds) {
  auto snap = std::make_shared<BalanceSnapshot>();
  snap->period = period;
  snap->built_at = now;
  snap->period_seconds = period_seconds;
  absl::StatusOr<PortTable> local = PortTable::Build(local_ports, criterion, tie_margin);
  if (!local.ok()) return local.status();
  snap->local = *std::move(local);

  uint16_t max_node = 0;
  for (const DestinationPorts& d : destinations) max_node = std::max(max_node, d.node);
  snap->destination_index.assign(destinations.empty() ? 0 : size_t{max_node} + 1,
                                 BalanceSnapshot::kNoDestination);
  snap->destinations.reserve(destinations.size());
  for (const DestinationPorts& d : destinations) {
    if (snap->destination_index[d.node] != BalanceSnapshot::kNoDestination) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", d.node, " is given twice among the destinations"));
    }
    absl::StatusOr<PortTable> t = PortTable::Build(d.ports, criterion, tie_margin);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("destination node ", d.node, ": ", std::string(t.status().message())));
    }
    snap->destination_index[d.node] = static_cast<uint32_t>(snap->destinations.size());
    snap->destinations.push_back(*std::move(t));
    snap->destination_nodes.push_back(d.node);
  }
  return std::shared_ptr<const BalanceSnapshot>(std::move(snap));
}

}  // namespace dmpd::lb
