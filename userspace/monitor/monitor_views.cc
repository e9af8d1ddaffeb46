// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/monitor_views.h"
#include "userspace/monitor/text_table.h"

#include <algorithm>
#include <cstdio>
#include <span>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace dmpd::monitor {
namespace {

using nlohmann::json;

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// {"key": {"total": n, "per_second": r}, …} for the counters the block has.
template <size_t N>
json CounterJson(std::span<const CounterInfo, N> infos, const CounterBlock<N>& b) {
  json out = json::object();
  for (size_t i = 0; i < N; ++i) {
    if (!b.total[i]) continue;
    out[std::string(infos[i].key)] = {{"total", *b.total[i]}, {"per_second", Opt(b.per_second[i])}};
  }
  return out;
}

json Sensors(const std::vector<SensorReading>& readings) {
  json out = json::object();
  for (const SensorReading& r : readings) out[r.name] = r.value;
  return out;
}

std::string NodeName(const StaticInfo& st) {
  return st.node_name.empty() ? std::to_string(st.node_num) : st.node_name;
}

// ---- table helpers: they read the view documents only.

// `decimals` places, and never "-0.0": a ratio computed from differences of counters may
// come out a hair below zero, which is zero at the precision shown.
std::string Fixed(const json& v, double scale, int decimals) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v.get<double>() * scale);
  std::string out = buf;
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);
  return out;
}
std::string Percent(const json& v) { return Fixed(v, 100, 1); }
std::string Mbps(const json& v) { return Fixed(v, 1e-6, 1); }
std::string Text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return Fixed(v, 1, 2);
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return "-";
}
std::string Gib(const json& bytes) {
  return bytes.is_number() ? Fixed(bytes, 1.0 / (1 << 30), 1) + " GiB" : "-";
}
const json& At(const json& j, std::string_view key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
// A counter's rate from a CounterJson object, or null.
const json& Rate(const json& counters, std::string_view key) {
  return At(At(counters, key), "per_second");
}
std::span<const json> Items(const json& views) {
  if (views.is_array()) return {views.get_ref<const json::array_t&>()};
  return {&views, 1};
}


}  // namespace

json NodeView(const NodeSample& s) {
  const SystemSample& sys = s.system;
  json cores = json::array();
  for (const CoreUtilisation& c : sys.cores) cores.push_back(Opt(c.utilisation_ratio));
  json reasons = json::array();
  for (const HealthReason& r : s.health.reasons) {
    reasons.push_back({{"check", std::string(HealthCheckName(r.check))}, {"detail", r.detail}});
  }
  json lcores = json::array();
  for (const LcoreSample& l : s.lcores) {
    lcores.push_back({{"lcore", l.lcore_id},
                      {"role", l.role},
                      {"busy_ratio", Opt(l.busy_ratio)},
                      {"seconds_since_progress", absl::ToDoubleSeconds(l.since_progress)},
                      {"counters", CounterJson(std::span(kLcoreCounters), l.counters)}});
  }
  json pipes = json::array();
  for (const PipeSample& p : s.pipes) {
    pipes.push_back({{"pipe", p.id},
                     {"name", p.name},
                     {"state", p.state},
                     {"priority", p.priority},
                     {"capacity_bytes", p.capacity_bytes},
                     {"fill_bytes", p.fill_bytes},
                     {"fill_ratio", Opt(p.fill_ratio)},
                     {"counters", CounterJson(std::span(kPipeCounters), p.counters)}});
  }
  json disks = json::object();
  for (const DiskIo& d : sys.disks) disks[d.device] = Opt(d.utilisation_ratio);
  const StaticInfo& st = s.static_info;
  return {
      {"node", NodeName(st)},
      {"node_num", st.node_num},
      {"time", Time(s.time)},
      {"interval_seconds", Opt(s.interval_seconds)},
      {"healthy", s.health.healthy},
      {"health_reasons", reasons},
      {"cores", Opt(sys.cpu_count)},
      {"cpu_utilisation_ratio", Opt(sys.cpu_utilisation_ratio)},
      {"core_utilisation_ratio", cores},
      {"load", {Opt(sys.load1), Opt(sys.load5), Opt(sys.load15)}},
      {"processes", Opt(sys.processes)},
      {"threads", Opt(sys.threads)},
      {"memory_total_bytes", Opt(sys.memory_total_bytes)},
      {"memory_available_bytes", Opt(sys.memory_available_bytes)},
      {"memory_utilisation_ratio", Opt(sys.memory_utilisation_ratio)},
      {"cpu_temperature_celsius", Opt(sys.cpu_temperature_celsius)},
      {"temperatures_celsius", Sensors(sys.temperatures_celsius)},
      {"voltages_volts", Sensors(sys.voltages_volts)},
      {"currents_amperes", Sensors(sys.currents_amperes)},
      {"powers_watts", Sensors(sys.powers_watts)},
      {"io_utilisation_ratio", Opt(sys.io_utilisation_ratio)},
      {"disk_io_utilisation_ratio", disks},
      {"network_receive_bits_per_second", Opt(sys.network_receive_bits_per_second)},
      {"network_transmit_bits_per_second", Opt(sys.network_transmit_bits_per_second)},
      {"network_load_ratio", Opt(sys.network_load_ratio)},
      {"receive_path", CounterJson(std::span(kReceivePathCounters), sys.receive_path)},
      {"static",
       {{"configured_ports", st.configured_ports},
        {"configured_pipes", st.configured_pipes},
        {"worker_lcores", st.worker_lcores},
        {"hugepage_size_bytes", Opt(st.hugepage_size_bytes)},
        {"hugepages_total", Opt(st.hugepages_total)},
        {"hugepages_free", Opt(st.hugepages_free)}}},
      {"lcores", lcores},
      {"pipes", pipes},
  };
}

json PortsView(const NodeSample& s) {
  json ports = json::array();
  for (const PortSample& p : s.ports) {
    json kernel = {{"present", p.kernel.present},
                   {"operstate", Opt(p.kernel.operstate)},
                   {"carrier", Opt(p.kernel.carrier)},
                   {"speed_mbps", Opt(p.kernel.speed_mbps)},
                   {"mtu_bytes", Opt(p.kernel.mtu_bytes)},
                   {"rings", nullptr},
                   {"channels", nullptr},
                   {"counters", CounterJson(std::span(kKernelCounters), p.kernel.counters)}};
    if (p.kernel.rings) {
      const RingSizes& r = *p.kernel.rings;
      kernel["rings"] = {{"rx", r.rx_entries},
                         {"tx", r.tx_entries},
                         {"rx_max", r.rx_max_entries},
                         {"tx_max", r.tx_max_entries}};
    }
    if (p.kernel.channels) {
      const ChannelCounts& c = *p.kernel.channels;
      kernel["channels"] = {{"rx", c.rx},
                            {"tx", c.tx},
                            {"other", c.other},
                            {"combined", c.combined},
                            {"max_rx", c.max_rx},
                            {"max_tx", c.max_tx},
                            {"max_other", c.max_other},
                            {"max_combined", c.max_combined}};
    }
    json queues = json::array();
    for (const PmdQueueSample& q : p.pmd_queues) {
      json xstats = json::object();
      for (const auto& [name, value] : q.xstats) xstats[name] = value;
      queues.push_back(
          {{"counters", CounterJson(std::span(kPmdCounters), q.counters)}, {"xstats", xstats}});
    }
    ports.push_back({
        {"port", p.name},
        {"up", p.up},
        {"bandwidth_bits_per_second", Opt(p.bandwidth_bits_per_second)},
        {"bandwidth_source", p.bandwidth_bits_per_second
                                 ? json(p.bandwidth_configured ? "configured" : "link")
                                 : json(nullptr)},
        {"traffic_bits", p.traffic_bits},
        {"receive_bits_per_second", Opt(p.receive_bits_per_second)},
        {"transmit_bits_per_second", Opt(p.transmit_bits_per_second)},
        {"utilisation_ratio", Opt(p.utilisation_ratio)},
        {"kernel_utilisation_ratio", Opt(p.kernel_utilisation_ratio)},
        {"loss_ratio", Opt(p.loss_ratio)},
        {"overflow_ratio", Opt(p.overflow_ratio)},
        {"instant_load", Opt(p.instant_load)},
        {"load", Opt(p.load)},
        {"pmd", {{"counters", CounterJson(std::span(kPmdCounters), p.pmd)}, {"queues", queues}}},
        {"kernel", kernel},
        {"xdp",
         p.xdp ? json{{"counters", CounterJson(std::span(kXdpCounters), *p.xdp)}} : json(nullptr)},
    });
  }
  return {{"node", NodeName(s.static_info)},
          {"time", Time(s.time)},
          {"interval_seconds", Opt(s.interval_seconds)},
          {"ports", ports}};
}

json PortHistoryView(const NodeSample& s, std::string_view port,
                     const std::vector<PortHistoryEntry>& history) {
  json samples = json::array();
  for (const PortHistoryEntry& e : history) {
    samples.push_back({{"time", Time(e.time)},
                       {"up", e.up},
                       {"receive_bits_per_second", Opt(e.receive_bits_per_second)},
                       {"transmit_bits_per_second", Opt(e.transmit_bits_per_second)},
                       {"utilisation_ratio", Opt(e.utilisation_ratio)},
                       {"loss_ratio", Opt(e.loss_ratio)},
                       {"overflow_ratio", Opt(e.overflow_ratio)},
                       {"load", Opt(e.load)}});
  }
  return {{"node", NodeName(s.static_info)}, {"port", std::string(port)}, {"samples", samples}};
}

std::string FormatNodeTable(const json& views) {
  // Table 3: one row per node.
  TextTable t({"NODE", "CORES", "CPU%", "LOAD 1/5/15", "MEMORY", "MEM%", "TEMP C", "IO%",
               "NET RX Mb/s", "NET TX Mb/s", "PROCS", "THREADS", "HEALTH"});
  std::string reasons;
  for (const json& v : Items(views)) {
    const json& load = At(v, "load");
    const std::string load_text =
        load.is_array() && load.size() == 3
            ? absl::StrCat(Fixed(load[0], 1, 2), "/", Fixed(load[1], 1, 2), "/",
                           Fixed(load[2], 1, 2))
            : "-";
    const bool healthy = At(v, "healthy").is_boolean() && At(v, "healthy").get<bool>();
    t.Add({Text(At(v, "node")), Text(At(v, "cores")), Percent(At(v, "cpu_utilisation_ratio")),
           load_text, Gib(At(v, "memory_total_bytes")), Percent(At(v, "memory_utilisation_ratio")),
           Fixed(At(v, "cpu_temperature_celsius"), 1, 1), Percent(At(v, "io_utilisation_ratio")),
           Mbps(At(v, "network_receive_bits_per_second")),
           Mbps(At(v, "network_transmit_bits_per_second")), Text(At(v, "processes")),
           Text(At(v, "threads")), healthy ? "ok" : "TROUBLE"});
    for (const json& r : At(v, "health_reasons")) {
      absl::StrAppend(&reasons, Text(At(v, "node")), ": ", Text(At(r, "check")), ": ",
                      Text(At(r, "detail")), "\n");
    }
  }
  return t.Render() + reasons;
}

std::string FormatPortsTable(const json& views) {
  // Table 4: per node, a state bit, a rate and a utilisation per port.
  TextTable summary({"NODE", "PORTS", "STATE", "RATE Mb/s (per port)", "UTILISATION % (per port)"});
  TextTable detail({"NODE", "PORT", "UP", "BW Mb/s", "RX Mb/s", "TX Mb/s", "UTIL%", "KUTIL%",
                    "LOSS%", "OVF%", "LOAD", "PMD rx/s", "PMD miss/s", "KRN rx/s", "KRN drop/s",
                    "XDP redir/s", "XDP pass/s", "RING rx/tx", "CHANNELS"});
  bool starred = false;  // a footnote explains the mark, so only under a marked row
  for (const json& v : Items(views)) {
    std::string state;
    std::vector<std::string> rates, utils;
    for (const json& p : At(v, "ports")) {
      const bool up = At(p, "up").is_boolean() && At(p, "up").get<bool>();
      state += up ? '1' : '0';
      const json& rx = At(p, "receive_bits_per_second");
      const json& tx = At(p, "transmit_bits_per_second");
      rates.push_back(rx.is_number() && tx.is_number() ? Mbps(rx.get<double>() + tx.get<double>())
                                                       : "-");
      utils.push_back(Percent(At(p, "utilisation_ratio")));

      const json& pmd = At(At(p, "pmd"), "counters");
      const json& kernel = At(p, "kernel");
      const json& kc = At(kernel, "counters");
      const json& xdp = At(At(p, "xdp"), "counters");
      const json& rings = At(kernel, "rings");
      const json& ch = At(kernel, "channels");
      const json xdp_redirected =
          Rate(xdp, "redirected_data").is_number() && Rate(xdp, "redirected_control").is_number()
              ? json(Rate(xdp, "redirected_data").get<double>() +
                     Rate(xdp, "redirected_control").get<double>())
              : json(nullptr);
      std::string channels = "-";
      if (ch.is_object()) {
        channels = At(ch, "combined").get<uint32_t>() > 0
                       ? absl::StrCat("combined ", Text(At(ch, "combined")))
                       : absl::StrCat("rx ", Text(At(ch, "rx")), " tx ", Text(At(ch, "tx")));
      }
      // "configured": BW is not the link's own speed, but the configuration's
      // port_bandwidth_mbps or what `dmpdctl port-bandwidth` set (NodeMonitor lumps them).
      const bool not_link_speed = Text(At(p, "bandwidth_source")) == "configured";
      starred |= not_link_speed;
      detail.Add({Text(At(v, "node")), Text(At(p, "port")), up ? "1" : "0",
                  Mbps(At(p, "bandwidth_bits_per_second")) + (not_link_speed ? "*" : ""), Mbps(rx),
                  Mbps(tx), Percent(At(p, "utilisation_ratio")),
                  Percent(At(p, "kernel_utilisation_ratio")), Percent(At(p, "loss_ratio")),
                  Percent(At(p, "overflow_ratio")), Fixed(At(p, "load"), 1, 3),
                  Fixed(Rate(pmd, "rx_packets"), 1, 0), Fixed(Rate(pmd, "imissed"), 1, 0),
                  Fixed(Rate(kc, "rx_packets"), 1, 0), Fixed(Rate(kc, "rx_dropped"), 1, 0),
                  Fixed(xdp_redirected, 1, 0), Fixed(Rate(xdp, "passed_to_kernel"), 1, 0),
                  rings.is_object()
                      ? absl::StrCat(Text(At(rings, "rx")), "/", Text(At(rings, "tx")))
                      : "-",
                  channels});
    }
    summary.Add({Text(At(v, "node")), std::to_string(At(v, "ports").size()),
                 state.empty() ? "-" : state, absl::StrJoin(rates, " "),
                 absl::StrJoin(utils, " ")});
  }
  return summary.Render() + "\n" + detail.Render() +
         (starred ? "(* bandwidth from the configuration or `dmpdctl port-bandwidth`, not the "
                    "link's speed)\n"
                  : "");
}

std::string FormatPortHistoryTable(const json& view) {
  TextTable t({"TIME", "UP", "RX Mb/s", "TX Mb/s", "UTIL%", "LOSS%", "OVF%", "LOAD"});
  for (const json& e : At(view, "samples")) {
    t.Add({Text(At(e, "time")), At(e, "up").is_boolean() && At(e, "up").get<bool>() ? "1" : "0",
           Mbps(At(e, "receive_bits_per_second")), Mbps(At(e, "transmit_bits_per_second")),
           Percent(At(e, "utilisation_ratio")), Percent(At(e, "loss_ratio")),
           Percent(At(e, "overflow_ratio")), Fixed(At(e, "load"), 1, 3)});
  }
  return absl::StrCat("node ", Text(At(view, "node")), " port ", Text(At(view, "port")), "\n",
                      t.Render());
}

}  // namespace dmpd::monitor
