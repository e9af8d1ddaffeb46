// SPDX-License-Identifier: BSD-3-Clause
// Balancer: the paper's dynamic multi-port load balancer (§3; SPEC LB-1..6) as one object
// the daemon wires in: loads and views go in once a sampling period (Update), one
// decision per message comes out (Decide), and a report for `dmpdctl lb` (Report).
//
// Threads: Update may run on any one thread (the main lcore); it builds a new immutable
// snapshot and publishes it. Decide and Report run on the one worker that owns this
// Balancer; they read the snapshot through a SnapshotReader and keep the per-key state
// (hashes, assignments, counters) that only that worker touches. Decide never locks,
// allocates or makes a system call.
#ifndef DMPD_USERSPACE_LB_BALANCER_H_
#define DMPD_USERSPACE_LB_BALANCER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mac_address.h"
#include "common/node_view.h"
#include "userspace/lb/balance_degree.h"
#include "userspace/lb/balance_key.h"
#include "userspace/lb/balance_snapshot.h"
#include "userspace/lb/decision.h"
#include "userspace/lb/key_assignment.h"
#include "userspace/lb/key_state_table.h"
#include "userspace/lb/load_ledger.h"
#include "userspace/lb/port_input.h"
#include "userspace/lb/snapshot_slot.h"
#include "userspace/lb/toeplitz_hash.h"
#include "userspace/monitor/port_load_model.h"

namespace dmpd::lb {

struct BalancerConfig {
  BalanceCriterionConfig criterion;
  HysteresisConfig hysteresis;
  // Ports within 1 % of a link of the least-loaded one are equally light (port_table.h).
  double tie_margin = 0.01;
  std::vector<uint8_t> toeplitz_key{kMicrosoftRssKey.begin(), kMicrosoftRssKey.end()};
  // λ of eq. (5), for a destination port whose view gives factors but no load.
  monitor::PortLoadWeights load_weights;
  // A power of two. Keys are (node, node, pipe, pipe, type): a node talks to at most
  // kMaxViewNodes nodes with a handful of pipes each.
  size_t key_capacity = 16384;
  size_t report_max_keys = 64;  // bound of the report's active-key list
  // What the period's load ledger carries of its moves into the next period, since the
  // measured loads take them in late (load_ledger.h). Local ports: 1 − γ of eq. (6), the
  // share one smoothed sample leaves out. Destination ports: their node samples on its
  // own phase and the heartbeat brings it later, so about half a move is in the first
  // view after it.
  double local_move_carry = 0.2;
  double destination_move_carry = 0.5;
};

// X(name, "meaning"). Written by the owning worker only.
#define DMPD_LB_COUNTERS(X)                                                             \
  X(decisions, "balancing decisions made")                                              \
  X(new_keys, "keys given ports for the first time (or again after an eviction)")       \
  X(repicks, "port changes of known keys, each side counted (LB-6)")                    \
  X(reorders, "re-picks away from a port still up: frames in flight may overtake")      \
  X(no_send_port, "decisions with no available local port")                             \
  X(no_receive_port, "decisions with no available port on the destination, or no view") \
  X(key_evictions, "key assignments replaced because their table slots were full")

struct BalancerCounters {
#define DMPD_LB_COUNTER_MEMBER(name, doc) uint64_t name = 0;
  DMPD_LB_COUNTERS(DMPD_LB_COUNTER_MEMBER)
#undef DMPD_LB_COUNTER_MEMBER
  template <class F>
  void ForEach(F&& f) const {
#define DMPD_LB_COUNTER_VISIT(name, doc) f(#name, doc, name);
    DMPD_LB_COUNTERS(DMPD_LB_COUNTER_VISIT)
#undef DMPD_LB_COUNTER_VISIT
  }
};

struct PortReport {
  uint16_t port_id = 0;
  MacAddress mac{};
  bool available = false;
  bool overloaded = false;
  double load = 0;
};

struct PortsReport {
  std::vector<PortReport> ports;
  LoadSummary summary;  // mean (eq. 7), s, WL (eq. 8) over the available ports
};

struct DestinationReport {
  uint16_t node = 0;
  PortsReport ports;
};

struct ActiveKeyReport {
  BalanceKey key;
  std::optional<uint16_t> send_port;  // port ids; absent when none was available
  std::optional<uint16_t> receive_port;
  uint32_t send_held_periods = 0;  // since the key last changed its sending port
  uint32_t receive_held_periods = 0;
  double bits_per_second = 0;  // its traffic over the last whole period
};

struct BalancerReport {
  uint32_t period = 0;
  absl::Time built_at = absl::InfinitePast();
  BalanceCriterionConfig criterion;
  PortsReport local;
  std::vector<DestinationReport> destinations;
  BalancerCounters counters;
  uint64_t hash_cache_hits = 0;              // decisions that found the key's hash cached
  uint64_t hash_computations = 0;            // Toeplitz hashes computed (new or evicted keys)
  size_t active_keys_total = 0;              // keys used this period or the one before
  std::vector<ActiveKeyReport> active_keys;  // the first report_max_keys of them, by key
};

class Balancer {
 public:
  static absl::StatusOr<std::unique_ptr<Balancer>> Create(BalancerConfig config);

  // One sampling period: the local ports (loads from the monitor's PortLoadModel) and the
  // cluster's views of the destination nodes (adapted by DestinationPortsFromNodeView).
  // Builds and publishes a new snapshot; on error the previous one stays in force.
  absl::Status Update(std::span<const PortInput> local_ports, std::span<const NodeView> views,
                      absl::Time now);
  absl::Status Update(std::span<const PortInput> local_ports,
                      std::span<const DestinationPorts> destinations, absl::Time now);

  // Steps 1–6 for one message of `key`, `bytes` long; its ports stay the same from
  // message to message unless LB-6 allows a move (key_assignment.h). The bytes give the
  // key's traffic, which a move takes from one port's load to another's (load_ledger.h).
  Decision Decide(const BalanceKey& key, size_t bytes = 0);

  BalancerReport Report();

  const BalancerCounters& counters() const { return counters_; }
  const BalancerConfig& config() const { return config_; }

 private:
  Balancer(BalancerConfig config, ToeplitzHash hasher, monitor::PortLoadModel load_model);
  uint8_t CountMove(HoldOutcome outcome);  // the DecisionFlags of a re-pick, counted
  void CountMissingPorts(uint8_t flags);
  // The worker's ledgers start over from a new snapshot's loads.
  void ResetLedgers(const BalanceSnapshot& snap);
  static void CountTraffic(KeyState& state, uint32_t period, size_t bytes);

  const BalancerConfig config_;
  const ToeplitzHash hasher_;
  const monitor::PortLoadModel load_model_;
  uint32_t next_period_ = 1;  // Update's thread only
  absl::Time last_update_ = absl::InfinitePast();

  SnapshotSlot<BalanceSnapshot> slot_;

  // The worker's side, hot fields first.
  SnapshotReader<BalanceSnapshot> reader_{&slot_};
  std::optional<KeyStateTable> keys_;  // set by Create
  BalancerCounters counters_;
  // This period's loads as the worker's moves change them: local ports, and per
  // destination (indexed like the snapshot's destinations).
  uint32_t ledger_period_ = 0;
  LoadLedger local_ledger_;
  std::vector<LoadLedger> destination_ledgers_;
  std::vector<uint16_t> destination_ledger_nodes_;  // the node each ledger counts for
};

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_BALANCER_H_
