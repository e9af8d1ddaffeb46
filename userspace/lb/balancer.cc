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
  // Checked here so that the constructor below cannot fail.
  absl::StatusOr<FixedKeyTable<KeyAssignment>> keys =
      FixedKeyTable<KeyAssignment>::Create(config.key_capacity);
  if (!keys.ok()) return keys.status();

  std::unique_ptr<Balancer> b(new Balancer(std::move(config), *std::move(hasher), *model));
  absl::StatusOr<KeyHashCache> cache =
      KeyHashCache::Create(&b->hasher_, b->config_.hash_cache_capacity);
  if (!cache.ok()) return cache.status();
  b->hash_cache_.emplace(*std::move(cache));
  b->assignments_.emplace(*std::move(keys));
  return b;
}

Balancer::Balancer(BalancerConfig config, ToeplitzHash hasher, monitor::PortLoadModel load_model)
    : config_(std::move(config)), hasher_(std::move(hasher)), load_model_(load_model) {}

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
  absl::StatusOr<std::shared_ptr<const BalanceSnapshot>> snap = BuildBalanceSnapshot(
      local_ports, destinations, config_.criterion, config_.tie_margin, next_period_, now);
  if (!snap.ok()) return snap.status();
  ++next_period_;
  slot_.Publish(*std::move(snap));
  return absl::OkStatus();
}

Decision Balancer::Decide(const BalanceKey& key) {
  Decision d;
  ++counters_.decisions;
  const BalanceSnapshot* snap = reader_.Current();
  if (snap == nullptr) {  // no loads yet: nothing is known to be up
    d.flags = kDecisionNoSendPort | kDecisionNoReceivePort;
    ++counters_.no_send_port;
    ++counters_.no_receive_port;
    return d;
  }

  // Steps 1–2: the key's hash, computed on its first message only.
  const uint32_t hash = hash_cache_->HashOf(key);
  bool inserted = false;
  const uint64_t evictions_before = assignments_->evictions();
  // The Toeplitz hash is already well mixed: it indexes the assignments too.
  KeyAssignment* a = assignments_->FindOrInsert(key, hash, &inserted);
  if (inserted) {
    d.flags |= kDecisionNewKey;
    ++counters_.new_keys;
    counters_.key_evictions += assignments_->evictions() - evictions_before;
  }
  a->last_used_period = snap->period;

  // Steps 3–4 (sending side), then step 5 (receiving side), each sticky (LB-6).
  const HoldOutcome send =
      ReassessPort(snap->local, hash, snap->period, config_.hysteresis, &PickSendPort, &a->send);
  const PortTable* dest = snap->Destination(key.dst_node);
  HoldOutcome receive = HoldOutcome::kKept;
  if (dest != nullptr) {
    receive =
        ReassessPort(*dest, hash, snap->period, config_.hysteresis, &PickReceivePort, &a->receive);
  }
  for (HoldOutcome o : {send, receive}) {
    if (!Moved(o)) continue;
    d.flags |= kDecisionRepicked;
    ++counters_.repicks;
    // Leaving a port that is still up: frames already queued there may arrive after the
    // ones sent on the new port. Leaving a dead port loses them instead (counted elsewhere).
    if (o == HoldOutcome::kLeftOverloaded) {
      d.flags |= kDecisionMayReorder;
      ++counters_.reorders;
    }
  }

  if (a->send.port == kNoPort) {
    d.flags |= kDecisionNoSendPort;
    ++counters_.no_send_port;
  } else {
    const PortEntry& p = snap->local.port(a->send.port);
    d.src_mac = p.mac;
    d.send_port = p.port_id;
    d.tx_queue = p.tx_queue;  // step 6
  }
  if (dest == nullptr || a->receive.port == kNoPort) {
    d.flags |= kDecisionNoReceivePort;
    ++counters_.no_receive_port;
  } else {
    const PortEntry& p = dest->port(a->receive.port);
    d.dst_mac = p.mac;
    d.receive_port = p.port_id;
  }
  return d;
}

BalancerReport Balancer::Report() {
  BalancerReport r;
  r.criterion = config_.criterion;
  r.counters = counters_;
  r.hash_cache_hits = hash_cache_->hits();
  r.hash_cache_misses = hash_cache_->misses();
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
  assignments_->ForEach([&](const BalanceKey& key, const KeyAssignment& a) {
    if (snap->period - a.last_used_period > 1) return;
    ActiveKeyReport k;
    k.key = key;
    k.send_port = PortIdOf(&snap->local, a.send.port);
    k.receive_port = PortIdOf(snap->Destination(key.dst_node), a.receive.port);
    k.send_held_periods = snap->period - a.send.moved_period;
    k.receive_held_periods = snap->period - a.receive.moved_period;
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
