// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/data_plane_report.h"

#include <rte_ethdev.h>

#include <algorithm>

#include "userspace/daemon/xsk_sockets.h"

namespace dmpd {

using nlohmann::json;

void ReportDataPlane(const DataPlane& dp, const ControlChannel& channel,
                     monitor::KernelPortCollector& kernel_ports, json& status) {
  json ports = json::array();
  for (size_t i = 0; i < dp.port_count(); ++i) {
    const AfXdpPort& p = dp.port(i);
    const PortCounters& c = dp.counters(i);
    const ChannelPortStats& ch = channel.stats(i);
    rte_eth_stats st{};
    rte_eth_stats_get(p.port_id(), &st);
    json xdp = json::object();
    if (auto xc = p.maps().ReadCounters(); xc.ok()) xdp = CountersByName(*xc);
    // The kernel's view of the same interface, read now (not from the last sample) so
    // that it lines up with the PMD and XDP columns beside it.
    const monitor::KernelPortView k = kernel_ports.Read(p.ifname());
    json kernel = json::object();
    for (size_t n = 0; n < monitor::kKernelCounters.size(); ++n) {
      const auto& total = k.counters.total[n];
      kernel[std::string(monitor::kKernelCounters[n].key)] = total ? json(*total) : json(nullptr);
    }
    // Frames the XDP program redirected but the socket lost (kernel XDP_STATISTICS).
    json xsk = json::object();
    if (p.xsk_fd() >= 0) {
      if (auto xs = ReadXskStatistics(p.xsk_fd())) {
        xsk = {{"rx_dropped", xs->rx_dropped},
               {"rx_ring_full", xs->rx_ring_full},
               {"rx_fill_ring_empty", xs->rx_fill_ring_empty_descs},
               {"rx_invalid_descs", xs->rx_invalid_descs},
               {"tx_invalid_descs", xs->tx_invalid_descs},
               {"tx_ring_empty", xs->tx_ring_empty_descs}};
      }
    }
    json rejected = json::object();
    for (size_t e = 0; e < kDecodeErrorCount; ++e) {
      const auto error = static_cast<DecodeError>(e);
      if (error == DecodeError::kNotDmpd) continue;  // counted as not_dmpd
      rejected[std::string(DecodeErrorName(error))] = c.rejected[e].Get() + ch.rejected[e];
    }
    ports.push_back({
        {"index", i},
        {"interface", p.ifname()},
        {"ifindex", p.ifindex()},
        {"queue", p.queue()},
        {"mac", FormatMac(p.mac())},
        {"link", k.operstate.value_or("unknown")},
        {"link_up", dp.link_up(i)},
        {"xdp_mode", XdpModeName(p.program().mode)},
        {"xdp_prog_id", p.program().id},
        {"pin_dir", p.pin_dir()},
        {"mtu", p.mtu()},
        {"max_frame_bytes", p.mbuf_size().frame_capacity},
        {"hellos_sent", c.hellos_sent.Get()},
        {"pmd",
         {{"rx_packets", st.ipackets},
          {"rx_bytes", st.ibytes},
          {"tx_packets", st.opackets},
          {"tx_bytes", st.obytes},
          {"imissed", st.imissed},
          {"rx_errors", st.ierrors},
          {"tx_errors", st.oerrors},
          {"rx_nombuf", st.rx_nombuf}}},
        {"xdp", xdp},
        {"xdp_carried_over", CountersByName(p.xdp_carried_over())},
        {"xsk", xsk},
        {"kernel", kernel},
        {"daemon",
         {{"rx_frames", c.rx_frames.Get()},
          {"control_frames", c.control_frames.Get()},
          {"control_messages", ch.received},
          {"control_unhandled", ch.unhandled},
          {"data_frames", c.data_frames.Get()},
          {"own_frames", c.own_frames.Get()},
          {"not_dmpd", c.not_dmpd.Get()},
          {"control_ring_full", c.control_ring_full.Get()},
          {"tx_frames", c.tx_frames.Get()},
          {"tx_dropped", c.tx_dropped.Get()},
          {"tx_link_down", c.tx_link_down.Get()},
          {"tx_not_queued", ch.send_failed},
          {"rejected", rejected}}},
    });
  }
  const WorkerContext& w = dp.worker();
  status["worker"] = {{"polls", w.stats.polls.Get()},
                      {"empty_polls", w.stats.empty_polls.Get()},
                      {"sleeps", w.stats.sleeps.Get()},
                      {"sleeps_on_sockets", w.sleeps_on_sockets.load(std::memory_order_relaxed)}};
  status["ports"] = std::move(ports);
}

monitor::SampleInputs CollectSampleInputs(const DataPlane& dp, uint64_t port_bandwidth_mbps) {
  monitor::SampleInputs in;
  for (size_t i = 0; i < dp.port_count(); ++i) {
    const AfXdpPort& p = dp.port(i);
    monitor::PortInput port;
    port.name = p.ifname();
    rte_eth_stats st{};
    if (rte_eth_stats_get(p.port_id(), &st) == 0) {
      monitor::PmdStats pmd{.rx_packets = st.ipackets,
                            .tx_packets = st.opackets,
                            .rx_bytes = st.ibytes,
                            .tx_bytes = st.obytes,
                            .imissed = st.imissed,
                            .ierrors = st.ierrors,
                            .oerrors = st.oerrors,
                            .rx_nombuf = st.rx_nombuf,
                            .xstats = {}};
      const int n = rte_eth_xstats_get(p.port_id(), nullptr, 0);
      if (n > 0) {
        std::vector<rte_eth_xstat> values(static_cast<size_t>(n));
        std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
        if (rte_eth_xstats_get(p.port_id(), values.data(), n) == n &&
            rte_eth_xstats_get_names(p.port_id(), names.data(), n) == n) {
          for (const rte_eth_xstat& v : values) {
            if (v.id < names.size()) pmd.xstats.emplace_back(names[v.id].name, v.value);
          }
        }
      }
      port.queues.push_back(std::move(pmd));
    }
    if (auto xdp = p.maps().ReadCounters(); xdp.ok()) port.xdp = *xdp;
    // The af_xdp PMD always reports its link up; the kernel's carrier is the truth.
    port.pmd_link_up = dp.link_up(i);
    if (port_bandwidth_mbps > 0) {
      port.configured_bandwidth_bits_per_second = static_cast<double>(port_bandwidth_mbps) * 1e6;
    }
    in.ports.push_back(std::move(port));
  }
  uint64_t frames = 0;
  for (size_t i = 0; i < dp.port_count(); ++i) {
    frames += dp.counters(i).rx_frames.Get() + dp.counters(i).tx_frames.Get();
  }
  const WorkerContext& w = dp.worker();
  const uint64_t polls = w.stats.polls.Get();
  const uint64_t empty = w.stats.empty_polls.Get();
  in.lcores.push_back({.lcore_id = dp.worker_lcore(),
                       .role = "worker",
                       .packets = frames,
                       .empty_polls = empty,
                       .busy_polls = polls - std::min(polls, empty)});
  return in;
}

}  // namespace dmpd
