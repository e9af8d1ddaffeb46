// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/balancer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "userspace/lb/port_picker.h"

namespace dmpd::lb {
namespace {

PortsReport ReportPorts(const PortTable& t) {
  PortsReport r;
  r.summary = t.summary();
  for (const PortEntry& p : t.ports()) {
    r.ports.push_back(PortReport{p.port_id, p.mac, p.available, p.overloaded, p.load});
  }
  return r;
}

std::optional<uint16_t> PortIdOf(const PortTable* t, uint8_t index) {
  if (t == nullptr || index == kNoPort || index >= t->size()) return std::nullopt;
  return t->port(index).port_id;
}

bool Moved(HoldOutcome o) {
  return o == HoldOutcome::kLeftUnavailable || o == HoldOutcome::kLeftOverloaded;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Balancer>> Balancer::Create(BalancerConfig config) {
  if (absl::Status s = ValidateBalanceCriterion(config.criterion); !s.ok()) return s;
  if (absl::Status s = ValidateHysteresis(config.hysteresis); !s.ok()) return s;
  for (const double carry : {config.local_move_carry, config.destination_move_carry}) {
    if (!(carry >= 0 && carry < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("move carry ", carry, " must be in [0, 1)"));
    }
  }
  if (!(config.tie_margin >= 0) || !std::isfinite(config.tie_margin)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tie margin ", config.tie_margin, " must be finite and >= 0"));
  }
  absl::StatusOr<ToeplitzHash> hasher = ToeplitzHash::Create(config.toeplitz_key);
  if (!hasher.ok()) return hasher.status();
  if (hasher->max_input_bytes() < kBalanceKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Toeplitz key of ", config.toeplitz_key.size(), " bytes hashes at most ",
                     hasher->max_input_bytes(), " input bytes; a balance key has ",
                     kBalanceKeyBytes, " (use a key of at least ", kBalanceKeyBytes + 4, ")"));
  }
  absl::StatusOr<monitor::PortLoadModel> model =
      monitor::PortLoadModel::Create(config.load_weights);
  if (!model.ok()) return model.status();
  std::unique_ptr<Balancer> b(new Balancer(std::move(config), *std::move(hasher), *model));
  absl::StatusOr<KeyStateTable> keys = KeyStateTable::Create(&b->hasher_, b->config_.key_capacity);
  if (!keys.ok()) return keys.status();
  b->keys_.emplace(*std::move(keys));
  return b;
}

Balancer::Balancer(BalancerConfig config, ToeplitzHash hasher, monitor::PortLoadModel load_model)
    : config_(std::move(config)),
      hasher_(std::move(hasher)),
      load_model_(load_model),
      local_ledger_(config_.load_weights.utilisation, config_.local_move_carry) {}

absl::Status Balancer::Update(std::span<const PortInput> local_ports,
                              std::span<const NodeView> views, absl::Time now) {
  std::vector<DestinationPorts> destinations;
  destinations.reserve(views.size());
  for (const NodeView& v : views) {
    destinations.push_back(DestinationPortsFromNodeView(v, load_model_));
  }
  return Update(local_ports, destinations, now);
}

absl::Status Balancer::Update(std::span<const PortInput> local_ports,
                              std::span<const DestinationPorts> destinations, absl::Time now) {
  const double period_seconds = last_update_ != absl::InfinitePast() && now > last_update_
                                    ? absl::ToDoubleSeconds(now - last_update_)
                                    : 0;
  absl::StatusOr<std::shared_ptr<const BalanceSnapshot>> snap =
      BuildBalanceSnapshot(local_ports, destinations, config_.criterion, config_.tie_margin,
                           next_period_, now, period_seconds);
  if (!snap.ok()) return snap.status();
  ++next_period_;
  last_update_ = now;
  slot_.Publish(*std::move(snap));
  return absl::OkStatus();
}

uint8_t Balancer::CountMove(HoldOutcome outcome) {
  if (!Moved(outcome)) return 0;
  ++counters_.repicks;
  // Leaving a port that is still up: frames already queued there may arrive after the
  // ones sent on the new port. Leaving a dead port loses them instead.
  if (outcome != HoldOutcome::kLeftOverloaded) return kDecisionRepicked;
  ++counters_.reorders;
  return kDecisionRepicked | kDecisionMayReorder;
}

void Balancer::CountMissingPorts(uint8_t flags) {
  if (flags & kDecisionNoSendPort) ++counters_.no_send_port;
  if (flags & kDecisionNoReceivePort) ++counters_.no_receive_port;
}

void Balancer::ResetLedgers(const BalanceSnapshot& snap) {
  // Periods since the last reset: a period without decisions still takes in moves.
  const uint32_t periods = snap.period - ledger_period_;
  local_ledger_.Reset(snap.local, periods);
  // Grows with the cluster (a new destination, once), never per message. A ledger that
  // counted for another node starts afresh: its carried moves are not this node's.
  const LoadLedger fresh(config_.load_weights.utilisation, config_.destination_move_carry);
  if (destination_ledgers_.size() < snap.destinations.size()) {
    destination_ledgers_.resize(snap.destinations.size(), fresh);
    destination_ledger_nodes_.resize(snap.destinations.size(), 0);
  }
  for (size_t i = 0; i < snap.destinations.size(); ++i) {
    if (destination_ledger_nodes_[i] != snap.destination_nodes[i]) {
      destination_ledgers_[i] = fresh;
      destination_ledger_nodes_[i] = snap.destination_nodes[i];
    }
    destination_ledgers_[i].Reset(snap.destinations[i], periods);
  }
  ledger_period_ = snap.period;
}

void Balancer::CountTraffic(KeyState& state, uint32_t period, size_t bytes) {
  if (state.traffic_period != period) {
    state.bytes_last_period = state.traffic_period + 1 == period ? state.bytes_this_period : 0;
    state.bytes_this_period = 0;
    state.traffic_period = period;
  }
  state.bytes_this_period += bytes;
}

Decision Balancer::Decide(const BalanceKey& key, size_t bytes) {
  ++counters_.decisions;
  const BalanceSnapshot* snap = reader_.Current();
  if (snap == nullptr) {  // no loads yet: nothing is known to be up
    ++counters_.no_send_port;
    ++counters_.no_receive_port;
    Decision d;
    d.flags = kDecisionNoSendPort | kDecisionNoReceivePort;
    return d;
  }

  // Steps 1–2: the key's hash, computed on its first message only, with its assignment.
  bool added = false;
  const uint64_t evictions_before = keys_->evictions();
  KeyState* state = keys_->FindOrAdd(key, &added);
  CountTraffic(*state, snap->period, bytes);
  if (!added && state->decided_period == snap->period) {  // the period's decision, again
    if (state->decision.flags != 0) CountMissingPorts(state->decision.flags);
    return state->decision;
  }
  uint8_t event_flags = 0;
  if (added) {
    event_flags |= kDecisionNewKey;
    ++counters_.new_keys;
    counters_.key_evictions += keys_->evictions() - evictions_before;
  }
  const uint32_t hash = state->hash;
  KeyAssignment* a = &state->assignment;
  a->last_used_period = snap->period;

  // Steps 3–4 (sending side), then step 5 (receiving side), each sticky (LB-6), against
  // the period's loads as this period's moves left them.
  if (ledger_period_ != snap->period) ResetLedgers(*snap);
  const double bits_per_second =
      snap->period_seconds > 0 ? 8.0 * static_cast<double>(state->bytes_last_period) / snap->period_seconds
                               : 0;
  const uint32_t dest_index = snap->DestinationIndex(key.dst_node);
  const PortTable* dest =
      dest_index == BalanceSnapshot::kNoDestination ? nullptr : &snap->destinations[dest_index];
  if (!KeepsPortOutright(snap->local, local_ledger_, a->send)) {
    event_flags |= CountMove(ReassessPort(snap->local, local_ledger_, hash, snap->period,
                                          config_.hysteresis, bits_per_second, &PickSendPort,
                                          &a->send));
  }
  if (dest != nullptr) {
    LoadLedger& ledger = destination_ledgers_[dest_index];
    if (!KeepsPortOutright(*dest, ledger, a->receive)) {
      event_flags |= CountMove(ReassessPort(*dest, ledger, hash, snap->period, config_.hysteresis,
                                            bits_per_second, &PickReceivePort, &a->receive));
    }
  }

  Decision d;
  if (a->send.port == kNoPort) {
    d.flags |= kDecisionNoSendPort;
  } else {
    const PortEntry& p = snap->local.port(a->send.port);
    d.src_mac = p.mac;
    d.send_port = p.port_id;
    d.tx_queue = p.tx_queue;  // step 6
  }
  if (dest == nullptr || a->receive.port == kNoPort) {
    d.flags |= kDecisionNoReceivePort;
  } else {
    const PortEntry& p = dest->port(a->receive.port);
    d.dst_mac = p.mac;
    d.receive_port = p.port_id;
  }
  if (d.flags != 0) CountMissingPorts(d.flags);
  state->decision = d;
  state->decided_period = snap->period;
  d.flags |= event_flags;
  return d;
}

BalancerReport Balancer::Report() {
  BalancerReport r;
  r.criterion = config_.criterion;
  r.counters = counters_;
  r.hash_cache_hits = keys_->hash_cache_hits();
  r.hash_computations = keys_->hash_computations();
  const BalanceSnapshot* snap = reader_.Current();
  if (snap == nullptr) return r;
  r.period = snap->period;
  r.built_at = snap->built_at;
  r.local = ReportPorts(snap->local);
  for (size_t i = 0; i < snap->destinations.size(); ++i) {
    r.destinations.push_back({snap->destination_nodes[i], ReportPorts(snap->destinations[i])});
  }

  // Active: used in this period or the one before (a period may have just begun).
  std::vector<ActiveKeyReport> active;
  keys_->ForEach([&](const BalanceKey& key, const KeyState& state) {
    const KeyAssignment& a = state.assignment;
    if (snap->period - a.last_used_period > 1) return;
    ActiveKeyReport k;
    k.key = key;
    k.send_port = PortIdOf(&snap->local, a.send.port);
    k.receive_port = PortIdOf(snap->Destination(key.dst_node), a.receive.port);
    k.send_held_periods = snap->period - a.send.moved_period;
    k.receive_held_periods = snap->period - a.receive.moved_period;
    if (snap->period_seconds > 0 && state.traffic_period + 1 >= snap->period) {
      // The last whole period the key sent in: the one before the one it counts now.
      const uint64_t bytes = state.traffic_period == snap->period ? state.bytes_last_period
                                                                  : state.bytes_this_period;
      k.bits_per_second = 8.0 * static_cast<double>(bytes) / snap->period_seconds;
    }
    active.push_back(k);
  });
  r.active_keys_total = active.size();
  const auto by_key = [](const ActiveKeyReport& x, const ActiveKeyReport& y) {
    return std::tie(x.key.src_node, x.key.dst_node, x.key.src_pipe, x.key.dst_pipe, x.key.type) <
           std::tie(y.key.src_node, y.key.dst_node, y.key.src_pipe, y.key.dst_pipe, y.key.type);
  };
  const size_t keep = std::min(active.size(), config_.report_max_keys);
  std::partial_sort(active.begin(), active.begin() + keep, active.end(), by_key);
  active.resize(keep);
  r.active_keys = std::move(active);
  return r;
}

}  // namespace dmpd::lb
