// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/node_view_from_sample.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/protocol_limits.h"

namespace dmpd {
namespace {

std::optional<uint32_t> Ppm(const std::optional<double>& ratio) {
  if (!ratio || !std::isfinite(*ratio)) return std::nullopt;
  return static_cast<uint32_t>(std::clamp(*ratio, 0.0, 4000.0) * 1e6);
}

std::optional<uint32_t> Milli(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v) || *v < 0) return std::nullopt;
  return static_cast<uint32_t>(std::min(*v * 1000.0, 4e9));
}

template <typename T>
std::optional<T> Narrow(const std::optional<uint64_t>& v) {
  if (!v) return std::nullopt;
  return static_cast<T>(std::min<uint64_t>(*v, std::numeric_limits<T>::max()));
}

}  // namespace

NodeView NodeViewFromSample(const monitor::NodeSample& s) {
  NodeView v;
  NodeInfo& n = v.info;
  n.id = s.static_info.node_num;
  const monitor::SystemSample& sys = s.system;
  if (sys.cpu_count) n.cores = static_cast<uint16_t>(std::min<uint32_t>(*sys.cpu_count, 65535));
  n.cpu_util_ppm = Ppm(sys.cpu_utilisation_ratio);
  n.load1_milli = Milli(sys.load1);
  n.load5_milli = Milli(sys.load5);
  n.load15_milli = Milli(sys.load15);
  n.io_util_ppm = Ppm(sys.io_utilisation_ratio);
  n.mem_bytes = sys.memory_total_bytes;
  n.mem_util_ppm = Ppm(sys.memory_utilisation_ratio);
  if (sys.cpu_temperature_celsius && std::isfinite(*sys.cpu_temperature_celsius)) {
    n.temperature_mc = static_cast<int32_t>(*sys.cpu_temperature_celsius * 1000.0);
  }
  n.processes = Narrow<uint32_t>(sys.processes);
  n.threads = Narrow<uint32_t>(sys.threads);
  n.health = s.health.healthy ? kNodeHealthy : kNodeDegraded;
  if (sys.network_receive_bits_per_second && sys.network_transmit_bits_per_second) {
    n.net_bps = static_cast<uint64_t>(*sys.network_receive_bits_per_second +
                                      *sys.network_transmit_bits_per_second);
  }
  n.net_load_ppm = Ppm(sys.network_load_ratio);
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const monitor::PortSample& p = s.ports[i];
    PortInfo& out = v.ports.emplace_back();
    out.id = static_cast<uint16_t>(i);
    if (p.bandwidth_bits_per_second) {
      out.speed_bps = static_cast<uint64_t>(*p.bandwidth_bits_per_second);
    }
    namespace C = monitor::PmdCounter;
    out.rx_bytes = p.pmd.total[C::rx_bytes];
    out.tx_bytes = p.pmd.total[C::tx_bytes];
    out.rx_packets = p.pmd.total[C::rx_packets];
    out.tx_packets = p.pmd.total[C::tx_packets];
    if (p.pmd.total[C::ierrors] && p.pmd.total[C::oerrors]) {
      out.errors = *p.pmd.total[C::ierrors] + *p.pmd.total[C::oerrors];
    }
    out.drops = p.pmd.total[C::imissed];
    out.queue_overflows = p.pmd.total[C::rx_nombuf];
    out.util_ppm = Ppm(p.utilisation_ratio);
    out.loss_ppm = Ppm(p.loss_ratio);
    out.load_ppm = Ppm(p.load);
  }
  // MON-4: the pipes, so the whole cluster's view has them (Fig. 3's p… group).
  for (const monitor::PipeSample& p : s.pipes) {
    if (v.pipes.size() == kMaxNodePipes) break;
    PipeInfo& out = v.pipes.emplace_back();
    out.id = static_cast<uint16_t>(p.id);
    out.state = static_cast<uint8_t>(p.state == "open"        ? kPipeOpen
                                     : p.state == "throttled" ? kPipeThrottled
                                                              : kPipeClosed);
    out.priority = static_cast<uint8_t>(p.priority);
    out.buffer_bytes = p.capacity_bytes;
    out.fill_bytes = p.fill_bytes;
    namespace P = monitor::PipeCounter;
    auto bits = [](const std::optional<double>& bytes_per_s) -> std::optional<uint64_t> {
      if (!bytes_per_s) return std::nullopt;
      return static_cast<uint64_t>(*bytes_per_s * 8);
    };
    out.tx_bps = bits(p.counters.per_second[P::tx_bytes]);
    out.rx_bps = bits(p.counters.per_second[P::rx_bytes]);
    out.drops = p.counters.total[P::dropped_messages];
  }
  return v;
}

}  // namespace dmpd
