// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/node_monitor.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dmpd::monitor {
namespace {

std::optional<double> Bits(std::optional<double> bytes_per_second) {
  if (!bytes_per_second) return std::nullopt;
  return *bytes_per_second * 8;
}

std::optional<double> Max(std::optional<double> a, std::optional<double> b) {
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NodeMonitor>> NodeMonitor::Create(
    MonitorConfig config, std::unique_ptr<LinkParamsReader> link_params) {
  if (config.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("monitor: the sampling interval must be positive");
  }
  if (config.history_length == 0) {
    return absl::InvalidArgumentError("monitor: the history length must be at least 1");
  }
  absl::StatusOr<PortLoadModel> model =
      PortLoadModel::Create(config.load_weights, config.load_gamma);
  if (!model.ok()) return model.status();
  absl::StatusOr<HealthChecker> health = HealthChecker::Create(config.health);
  if (!health.ok()) return health.status();
  return std::unique_ptr<NodeMonitor>(
      new NodeMonitor(std::move(config), std::move(link_params), *model, *std::move(health)));
}

NodeMonitor::NodeMonitor(MonitorConfig config, std::unique_ptr<LinkParamsReader> link_params,
                         PortLoadModel load_model, HealthChecker health)
    : config_(std::move(config)),
      link_params_(std::move(link_params)),
      load_model_(load_model),
      kernel_ports_(config_.sysfs_root, link_params_.get()),
      system_(config_.procfs_root, config_.sysfs_root),
      health_(std::move(health)),
      node_history_(config_.history_length) {}

absl::Status NodeMonitor::SetHealthConfig(const HealthConfig& health) {
  absl::StatusOr<HealthChecker> checker = HealthChecker::Create(health);
  if (!checker.ok()) return checker.status();
  health_ = *std::move(checker);
  config_.health = health;
  return absl::OkStatus();
}

absl::Time NodeMonitor::NextSampleDue(absl::Time now) const {
  return last_time_ ? *last_time_ + config_.interval : now;
}

void NodeMonitor::Sample(absl::Time now, const SampleInputs& inputs) {
  const absl::Time started = absl::Now();
  auto sample = std::make_shared<NodeSample>();
  NodeSample& s = *sample;
  s.time = now;
  if (last_time_ && now > *last_time_)
    s.interval_seconds = absl::ToDoubleSeconds(now - *last_time_);
  // 0 makes every rate "not available" rather than divided by a non-positive interval.
  const double dt = s.interval_seconds.value_or(0.0);
  uint64_t resets = 0;

  s.system = system_.Collect(now);
  resets += s.system.counter_resets;
  s.static_info = config_.static_info;
  s.static_info.hugepage_size_bytes = s.system.hugepage_size_bytes;
  s.static_info.hugepages_total = s.system.hugepages_total;
  s.static_info.hugepages_free = s.system.hugepages_free;

  for (const PortInput& in : inputs.ports) {
    s.ports.push_back(SamplePort(in, dt, ports_[in.name], resets));
  }
  s.lcores = SampleLcores(now, inputs.lcores, dt, resets);
  s.pipes = SamplePipes(inputs.pipes, dt, resets);
  s.health = health_.Evaluate(s);

  last_time_ = now;
  self_.samples++;
  self_.counter_resets += resets;
  self_.last_sample_duration = absl::Now() - started;
  s.self = self_;

  NodeHistoryEntry node_entry{now,
                              s.system.cpu_utilisation_ratio,
                              s.system.memory_utilisation_ratio,
                              s.system.load1,
                              s.system.io_utilisation_ratio,
                              s.system.network_receive_bits_per_second,
                              s.system.network_transmit_bits_per_second,
                              s.health.healthy};
  absl::MutexLock lock(&mu_);
  for (const PortSample& p : s.ports) {
    auto [it, inserted] = port_history_.try_emplace(p.name, config_.history_length);
    it->second.Push({now, p.up, p.receive_bits_per_second, p.transmit_bits_per_second,
                     p.utilisation_ratio, p.loss_ratio, p.overflow_ratio, p.load});
  }
  node_history_.Push(node_entry);
  latest_ = std::move(sample);
}

PortSample NodeMonitor::SamplePort(const PortInput& in, double dt, PortState& st,
                                   uint64_t& resets) {
  PortSample p;
  p.name = in.name;

  // The PMD: per queue, so that one queue's reset does not disturb the others' deltas.
  std::vector<QueueByteCounts> cumulative, interval;
  bool have_interval = dt > 0 && st.queues.size() == in.queues.size();
  std::vector<PmdCounterBlock> queues;
  for (size_t i = 0; i < in.queues.size(); ++i) {
    PmdQueueSample q{PmdStatsToBlock(in.queues[i]), in.queues[i].xstats};
    resets += q.counters.Advance(i < st.queues.size() ? &st.queues[i] : nullptr, dt);
    p.pmd.Accumulate(q.counters);
    const auto& t = q.counters.total;
    const auto& inc = q.counters.increase;
    cumulative.push_back(
        {t[PmdCounter::rx_bytes].value_or(0), t[PmdCounter::tx_bytes].value_or(0)});
    have_interval = have_interval && inc[PmdCounter::rx_bytes] && inc[PmdCounter::tx_bytes];
    interval.push_back(
        {inc[PmdCounter::rx_bytes].value_or(0), inc[PmdCounter::tx_bytes].value_or(0)});
    queues.push_back(q.counters);
    p.pmd_queues.push_back(std::move(q));
  }
  st.queues = std::move(queues);
  p.traffic_bits = PortTrafficBits(cumulative);  // eq. (1)
  p.receive_bits_per_second = Bits(p.pmd.per_second[PmdCounter::rx_bytes]);
  p.transmit_bits_per_second = Bits(p.pmd.per_second[PmdCounter::tx_bytes]);

  // The kernel's view of the same interface.
  p.kernel = kernel_ports_.Read(in.name);
  resets += p.kernel.counters.Advance(st.kernel ? &*st.kernel : nullptr, dt);
  st.kernel = p.kernel.present ? std::optional(p.kernel.counters) : std::nullopt;

  // The XDP program's counters.
  if (in.xdp) {
    p.xdp = XdpCountersToBlock(*in.xdp);
    resets += p.xdp->Advance(st.xdp ? &*st.xdp : nullptr, dt);
  }
  st.xdp = p.xdp;

  p.up = p.kernel.up() && in.pmd_link_up.value_or(true);
  if (in.override_bandwidth_bits_per_second && *in.override_bandwidth_bits_per_second > 0) {
    p.bandwidth_bits_per_second = in.override_bandwidth_bits_per_second;
    p.bandwidth_configured = true;
  } else {
    p.bandwidth_bits_per_second =
        PortBandwidthBitsPerSecond(p.kernel.speed_mbps, in.configured_bandwidth_bits_per_second);
    p.bandwidth_configured = p.bandwidth_bits_per_second && !p.kernel.speed_mbps;
  }

  if (have_interval) {  // eq. (3) over the DMPD traffic of eq. (1)
    p.utilisation_ratio =
        PortUtilisationRatio(PortTrafficBits(interval), dt, p.bandwidth_bits_per_second);
  }
  const auto& kinc = p.kernel.counters.increase;
  if (kinc[KernelCounter::rx_bytes] && kinc[KernelCounter::tx_bytes]) {
    const QueueByteCounts kernel_bytes{*kinc[KernelCounter::rx_bytes],
                                       *kinc[KernelCounter::tx_bytes]};
    p.kernel_utilisation_ratio =
        PortUtilisationRatio(PortTrafficBits({&kernel_bytes, 1}), dt, p.bandwidth_bits_per_second);
  }

  // eq. (2) needs the peers' side: the cluster measures it (peer receipts, a window of
  // cycles) and hands it in.
  p.loss_ratio = in.cluster_loss_ratio;

  if (dt > 0) {
    // Overflowed: frames that found a receive queue full, on either path — the PMD's
    // ring (imissed) and mbuf pool (rx_nombuf), the kernel's backlog and ring.
    const uint64_t overflowed = p.pmd.IncreaseOrZero(PmdCounter::imissed) +
                                p.pmd.IncreaseOrZero(PmdCounter::rx_nombuf) +
                                p.kernel.counters.IncreaseOrZero(KernelCounter::rx_dropped) +
                                p.kernel.counters.IncreaseOrZero(KernelCounter::rx_fifo_errors);
    const uint64_t received = p.pmd.IncreaseOrZero(PmdCounter::rx_packets) +
                              p.kernel.counters.IncreaseOrZero(KernelCounter::rx_packets);
    p.overflow_ratio = QueueOverflowRatio(overflowed, received);

    // eqs. (5)–(6). The link is as busy as the busier view says: the PMD counts DMPD
    // frames only, the kernel (on drivers that count XDP frames, as veth does) all.
    p.instant_load = load_model_.InstantLoad(
        {Max(p.utilisation_ratio, p.kernel_utilisation_ratio), p.loss_ratio, p.overflow_ratio});
    p.load = load_model_.SmoothedLoad(*p.instant_load, st.load);
    st.load = p.load;
  }
  return p;
}

std::vector<LcoreSample> NodeMonitor::SampleLcores(absl::Time now,
                                                   const std::vector<LcoreInput>& in, double dt,
                                                   uint64_t& resets) {
  std::vector<LcoreSample> out;
  std::map<uint32_t, LcoreState> next;
  for (const LcoreInput& l : in) {
    LcoreSample ls;
    ls.lcore_id = l.lcore_id;
    ls.role = l.role;
    ls.counters.total[LcoreCounter::packets] = l.packets;
    ls.counters.total[LcoreCounter::empty_polls] = l.empty_polls;
    ls.counters.total[LcoreCounter::busy_polls] = l.busy_polls;
    auto it = lcores_.find(l.lcore_id);
    const LcoreState* prev = it == lcores_.end() ? nullptr : &it->second;
    resets += ls.counters.Advance(prev ? &prev->counters : nullptr, dt);
    const bool moved = prev == nullptr || ls.counters.total != prev->counters.total;
    const absl::Time last_progress = moved ? now : prev->last_progress;
    ls.since_progress = now - last_progress;
    const auto& inc = ls.counters.increase;
    if (inc[LcoreCounter::busy_polls] && inc[LcoreCounter::empty_polls]) {
      const uint64_t polls = *inc[LcoreCounter::busy_polls] + *inc[LcoreCounter::empty_polls];
      if (polls > 0) ls.busy_ratio = static_cast<double>(*inc[LcoreCounter::busy_polls]) / polls;
    }
    next[l.lcore_id] = {ls.counters, last_progress};
    out.push_back(std::move(ls));
  }
  lcores_ = std::move(next);
  return out;
}

std::vector<PipeSample> NodeMonitor::SamplePipes(const PipeStatsSource* source, double dt,
                                                 uint64_t& resets) {
  std::vector<PipeSample> out;
  if (source == nullptr) return out;  // no pipes module yet: an empty set
  std::map<uint32_t, PipeCounterBlock> next;
  for (const PipeStats& p : source->PipeSnapshot()) {
    PipeSample ps{p.id,         p.name, p.state, p.priority, p.capacity_bytes, p.fill_bytes,
                  std::nullopt, {}};
    if (p.capacity_bytes > 0) {
      ps.fill_ratio = static_cast<double>(p.fill_bytes) / p.capacity_bytes;
    }
    ps.counters = PipeStatsToBlock(p);
    auto it = pipes_.find(p.id);
    resets += ps.counters.Advance(it == pipes_.end() ? nullptr : &it->second, dt);
    next[p.id] = ps.counters;
    out.push_back(std::move(ps));
  }
  pipes_ = std::move(next);
  return out;
}

std::shared_ptr<const NodeSample> NodeMonitor::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

absl::StatusOr<std::vector<PortHistoryEntry>> NodeMonitor::PortHistory(std::string_view port,
                                                                       size_t last) const {
  absl::MutexLock lock(&mu_);
  auto it = port_history_.find(port);
  if (it == port_history_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no port '", std::string(port), "' in the monitoring history"));
  }
  return it->second.Snapshot(last);
}

std::vector<NodeHistoryEntry> NodeMonitor::NodeHistory(size_t last) const {
  absl::MutexLock lock(&mu_);
  return node_history_.Snapshot(last);
}

}  // namespace dmpd::monitor
