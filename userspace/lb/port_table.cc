// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/port_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd::lb {

absl::StatusOr<PortTable> PortTable::Build(std::span<const PortInput> ports,
                                           const BalanceCriterionConfig& criterion,
                                           double tie_margin) {
  if (ports.size() > kMaxNodePorts) {
    return absl::InvalidArgumentError(absl::StrCat("a node with ", ports.size(), " ports: at most ",
                                                   kMaxNodePorts, " are balanced (kMaxNodePorts)"));
  }
  PortTable t;
  t.ports_.reserve(ports.size());
  std::array<double, kMaxNodePorts> loads;
  size_t n_available = 0;
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortInput& in = ports[i];
    if (!std::isfinite(in.load) || in.load < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("port ", in.port_id, " has load ", in.load, "; loads are ratios >= 0"));
    }
    const double bandwidth = std::isfinite(in.bandwidth_bps) && in.bandwidth_bps > 0 ? in.bandwidth_bps : 0;
    t.ports_.push_back(
        PortEntry{in.mac, in.port_id, in.tx_queue, in.load, bandwidth, in.available, false});
    if (in.available) {
      t.by_load_.push_back(static_cast<uint8_t>(i));
      loads[n_available++] = in.load;
    }
  }

  // Eqs. (7)–(8) and the verdict over the available ports only: a down port's stale load
  // would pull the mean.
  std::array<bool, kMaxNodePorts> overloaded{};
  t.summary_ = MarkOverloadedPorts(std::span<const double>(loads.data(), n_available), criterion,
                                   std::span<bool>(overloaded.data(), n_available));
  for (size_t k = 0; k < n_available; ++k) t.ports_[t.by_load_[k]].overloaded = overloaded[k];
  t.overload_limit_ = OverloadLimit(t.summary_, criterion);
  t.tie_margin_ = tie_margin;
  t.criterion_ = criterion;

  std::stable_sort(t.by_load_.begin(), t.by_load_.end(),
                   [&t](uint8_t a, uint8_t b) { return t.ports_[a].load < t.ports_[b].load; });
  return t;
}

}  // namespace dmpd::lb
