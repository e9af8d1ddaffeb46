// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/cluster/loss_meter.h"

#include "userspace/monitor/port_formulas.h"

namespace dmpd::cluster {

void LossMeter::Observe(uint16_t node, uint16_t port, uint16_t reporter,
                        const Receipt& cumulative) {
  auto [it, added] = pairs_.try_emplace({node, port, reporter});
  Pair& p = it->second;
  if (added) p.start = cumulative;
  p.latest = cumulative;
  p.idle_windows = 0;
}

void LossMeter::CloseWindow() {
  struct Sums {
    uint64_t received = 0;
    uint64_t numbered = 0;
  };
  std::map<std::pair<uint16_t, uint16_t>, Sums> sums;
  for (auto it = pairs_.begin(); it != pairs_.end();) {
    Pair& p = it->second;
    const auto [node, port, reporter] = it->first;
    const bool restarted =
        p.latest.received < p.start.received || p.latest.numbered < p.start.numbered;
    if (!restarted) {
      Sums& s = sums[{node, port}];
      s.received += p.latest.received - p.start.received;
      s.numbered += p.latest.numbered - p.start.numbered;
    }
    p.start = p.latest;
    if (++p.idle_windows > 2) {
      it = pairs_.erase(it);
    } else {
      ++it;
    }
  }
  loss_.clear();
  for (const auto& [key, s] : sums) {
    // eq. (2) over the window: T_send the numbers spanned, T_recv what arrived.
    if (std::optional<double> loss = monitor::LossRatio(s.numbered, s.received)) {
      loss_[key] = *loss;
    }
  }
}

std::optional<double> LossMeter::Loss(uint16_t node, uint16_t port) const {
  auto it = loss_.find({node, port});
  if (it == loss_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dmpd::cluster
