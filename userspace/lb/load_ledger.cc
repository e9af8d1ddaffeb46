// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/load_ledger.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>

namespace dmpd::lb {

void LoadLedger::Reset(const PortTable& table, uint32_t periods) {
  if (carried_.size() != table.size()) carried_.assign(table.size(), 0.0);
  loads_.resize(table.size());
  const double carry = std::pow(move_carry_, static_cast<double>(periods));
  bool carrying = false;
  for (size_t i = 0; i < table.size(); ++i) {
    carried_[i] *= carry;
    if (std::fabs(carried_[i]) < 1e-6) carried_[i] = 0;  // taken in: stop adjusting
    carrying = carrying || carried_[i] != 0;
    loads_[i] = std::max(0.0, table.port(static_cast<uint8_t>(i)).load + carried_[i]);
  }
  // Without carried moves the snapshot's limit is the limit of these loads.
  limit_ = table.overload_limit();
  limit_valid_ = !carrying;
}

double LoadLedger::Limit(const PortTable& table) const {
  if (!limit_valid_) {
    std::array<double, kMaxNodePorts> adjusted;
    size_t n = 0;
    for (uint8_t i : table.available_by_load()) adjusted[n++] = loads_[i];
    const std::span<const double> loads(adjusted.data(), n);
    LoadSummary summary;
    summary.n = n;
    summary.mean = MeanLoad(loads);
    summary.stddev = SampleStdDev(loads);
    summary.wl = BalanceDegree(loads, table.criterion().expected_load_mu);
    limit_ = OverloadLimit(summary, table.criterion());
    limit_valid_ = true;
  }
  return limit_;
}

uint8_t LoadLedger::LeastLoadedSpread(const PortTable& table, uint32_t hash) const {
  double least = std::numeric_limits<double>::infinity();
  for (uint8_t i : table.available_by_load()) least = std::min(least, loads_[i]);
  // The near-least ports in the table's load order (index order among equals), chosen by
  // the hash: equally light ports share the keys that pick in the same period.
  std::array<uint8_t, kMaxNodePorts> near;
  uint32_t n = 0;
  for (uint8_t i : table.available_by_load()) {
    if (loads_[i] <= least + table.tie_margin()) near[n++] = i;
  }
  return n == 0 ? kNoPort : near[hash % n];
}

double LoadLedger::KeyLoad(const PortTable& table, uint8_t port, double bits_per_second) const {
  if (port == kNoPort || port >= table.size()) return 0;
  const double bw = table.port(port).bandwidth_bps;
  return bw > 0 ? utilisation_weight_ * bits_per_second / bw : 0;
}

void LoadLedger::Move(const PortTable& table, uint8_t from, uint8_t to, double bits_per_second) {
  if (from != kNoPort && from < loads_.size()) {
    const double share = KeyLoad(table, from, bits_per_second);
    loads_[from] = std::max(0.0, loads_[from] - share);
    carried_[from] -= share;
  }
  if (to != kNoPort && to < loads_.size()) {
    const double share = KeyLoad(table, to, bits_per_second);
    loads_[to] += share;
    carried_[to] += share;
  }
  limit_valid_ = false;
}

}  // namespace dmpd::lb
