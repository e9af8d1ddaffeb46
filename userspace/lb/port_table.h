// SPDX-License-Identifier: BSD-3-Clause
// PortTable: the ports of one node as the per-message path reads them — MAC, measured
// load, bandwidth, availability, the criterion's "overloaded" verdict and limit, and the
// available ports ordered by load. Built once per load update (the snapshot), immutable
// afterwards.
//
// The paper keeps its available ports in a min-heap and "finds the least-loaded port
// after one heap adjustment" (§3.2). Here the measured loads change all at once, once a
// sampling period, and the table sorts the available ports when it is built (n ≤ 64);
// the adjustments after each pick are the worker's LoadLedger (load_ledger.h), which
// picks the least-loaded port by one scan of this order, once per key and period.
#ifndef DMPD_USERSPACE_LB_PORT_TABLE_H_
#define DMPD_USERSPACE_LB_PORT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mac_address.h"
#include "common/protocol_limits.h"
#include "userspace/lb/balance_degree.h"
#include "userspace/lb/port_input.h"

namespace dmpd::lb {

// A port index in a PortTable (0 .. size()−1), or none.
inline constexpr uint8_t kNoPort = 0xFF;
static_assert(kMaxNodePorts < kNoPort, "port indices must fit below kNoPort");

struct PortEntry {
  MacAddress mac{};
  uint16_t port_id = 0;
  uint16_t tx_queue = 0;
  double load = 0;
  double bandwidth_bps = 0;  // 0: not known
  bool available = false;
  bool overloaded = false;  // the criterion's verdict (balance_degree.h); only if available
};

class PortTable {
 public:
  // `tie_margin`: ports within this load of the least-loaded one count as equally light;
  // keys picking "the least-loaded port" are spread over them by their hash, so that at
  // start (all loads 0) or among equal ports not every key lands on the same one.
  static absl::StatusOr<PortTable> Build(std::span<const PortInput> ports,
                                         const BalanceCriterionConfig& criterion,
                                         double tie_margin);
  PortTable() = default;

  size_t size() const { return ports_.size(); }
  const PortEntry& port(uint8_t index) const { return ports_[index]; }
  std::span<const PortEntry> ports() const { return ports_; }

  // The available ports, least-loaded first (ties: lower index first).
  std::span<const uint8_t> available_by_load() const { return by_load_; }

  // eq. (7), (8) over the available ports.
  const LoadSummary& summary() const { return summary_; }
  // A port whose load is above this is overloaded (OverloadLimit); LoadLedger judges the
  // period's adjusted loads against it.
  double overload_limit() const { return overload_limit_; }
  double tie_margin() const { return tie_margin_; }
  const BalanceCriterionConfig& criterion() const { return criterion_; }

 private:
  std::vector<PortEntry> ports_;
  std::vector<uint8_t> by_load_;
  LoadSummary summary_;
  double overload_limit_ = 0;
  double tie_margin_ = 0;
  BalanceCriterionConfig criterion_;
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_PORT_TABLE_H_
