// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/prometheus_exposition.h"

#include <functional>
#include <span>
#include <string_view>

#include "userspace/monitor/prometheus_text_writer.h"

namespace dmpd::monitor {
namespace {

using Labels = PrometheusTextWriter::Labels;

std::string Name(std::string_view a, std::string_view b) {
  std::string s(a);
  s += b;
  return s;
}

// One family per counter of a block, one sample per item that has the counter.
template <size_t N, typename Item>
void WriteCounterFamilies(PrometheusTextWriter& w, std::string_view prefix,
                          std::span<const CounterInfo, N> infos, std::span<const Item> items,
                          const std::function<const CounterBlock<N>*(const Item&)>& block,
                          const std::function<Labels(const Item&)>& labels) {
  for (size_t i = 0; i < N; ++i) {
    w.Family(Name(prefix, infos[i].metric), "counter", infos[i].help);
    for (const Item& item : items) {
      if (const CounterBlock<N>* b = block(item)) w.Sample(labels(item), b->total[i]);
    }
  }
}

// One gauge family over items.
template <typename Item, typename Value>
void WriteGauge(PrometheusTextWriter& w, std::string_view name, std::string_view help,
                std::span<const Item> items, const std::function<Labels(const Item&)>& labels,
                const std::function<Value(const Item&)>& value) {
  w.Family(name, "gauge", help);
  for (const Item& item : items) w.Sample(labels(item), value(item));
}

std::optional<double> Bool(bool b) { return b ? 1.0 : 0.0; }

// The model counts bits (the paper's unit); Prometheus' base unit is the byte.
std::optional<double> Bytes(std::optional<double> bits) {
  if (!bits) return std::nullopt;
  return *bits / 8;
}

class Exposition {
 public:
  explicit Exposition(const NodeSample& s)
      : s_(s),
        node_(s.static_info.node_name.empty() ? std::to_string(s.static_info.node_num)
                                              : s.static_info.node_name) {}

  std::string Render() {
    WriteNode();
    WriteSystem();
    WritePorts();
    WriteLcores();
    WritePipes();
    WriteSelf();
    return w_.Take();
  }

 private:
  Labels Node() const { return {{"node", node_}}; }
  Labels With(std::string_view key, std::string value) const {
    Labels l = Node();
    l.emplace_back(key, std::move(value));
    return l;
  }
  void Gauge(std::string_view name, std::string_view help, std::optional<double> v) {
    w_.Family(name, "gauge", help);
    w_.Sample(Node(), v);
  }
  void Gauge(std::string_view name, std::string_view help, std::optional<uint64_t> v) {
    w_.Family(name, "gauge", help);
    w_.Sample(Node(), v);
  }
  void Sensors(std::string_view name, std::string_view help,
               const std::vector<SensorReading>& readings) {
    WriteGauge<SensorReading, double>(
        w_, name, help, std::span(readings),
        [&](const SensorReading& r) { return With("sensor", r.name); },
        [](const SensorReading& r) { return r.value; });
  }

  void WriteNode() {
    const StaticInfo& st = s_.static_info;
    w_.Family("dmpd_node_info", "gauge", "the node's number and name; always 1");
    w_.Sample(With("node_num", std::to_string(st.node_num)), 1.0);
    Gauge("dmpd_node_healthy", "1 when every self-monitoring check passes (MON-7)",
          Bool(s_.health.healthy));
    w_.Family("dmpd_node_health_check_failing", "gauge",
              "1 when the named self-monitoring check fails (MON-7)");
    for (const HealthCheckInfo& c : kHealthChecks) {
      bool failing = false;
      for (const HealthReason& r : s_.health.reasons) failing |= r.check == c.check;
      w_.Sample(With("check", std::string(c.name)), Bool(failing));
    }
    Gauge("dmpd_node_configured_ports", "LAN ports in the configuration (MON-5)",
          std::optional<uint64_t>(st.configured_ports.size()));
    Gauge("dmpd_node_configured_pipes", "pipes in the configuration (MON-5)",
          std::optional<uint64_t>(st.configured_pipes));
    Gauge("dmpd_node_worker_lcores", "worker lcores in the configuration (MON-5)",
          std::optional<uint64_t>(st.worker_lcores));
    Gauge("dmpd_node_hugepage_size_bytes", "size of a default hugepage", st.hugepage_size_bytes);
    Gauge("dmpd_node_hugepages", "default-size hugepages reserved", st.hugepages_total);
    Gauge("dmpd_node_hugepages_free", "default-size hugepages free", st.hugepages_free);
  }

  void WriteSystem() {
    const SystemSample& sys = s_.system;
    Gauge("dmpd_node_cpus", "CPU cores online",
          sys.cpu_count ? std::optional<uint64_t>(*sys.cpu_count) : std::nullopt);
    Gauge("dmpd_node_cpu_utilisation_ratio", "busy share of all CPUs over the last interval",
          sys.cpu_utilisation_ratio);
    WriteGauge<CoreUtilisation, std::optional<double>>(
        w_, "dmpd_node_core_utilisation_ratio", "busy share of one CPU over the last interval",
        std::span(sys.cores),
        [&](const CoreUtilisation& c) { return With("cpu", std::to_string(c.cpu)); },
        [](const CoreUtilisation& c) { return c.utilisation_ratio; });
    Gauge("dmpd_node_load1", "load average over 1 minute", sys.load1);
    Gauge("dmpd_node_load5", "load average over 5 minutes", sys.load5);
    Gauge("dmpd_node_load15", "load average over 15 minutes", sys.load15);
    Gauge("dmpd_node_processes", "processes", sys.processes);
    Gauge("dmpd_node_threads", "threads (kernel scheduling entities)", sys.threads);
    Gauge("dmpd_node_memory_total_bytes", "memory size (MemTotal)", sys.memory_total_bytes);
    Gauge("dmpd_node_memory_available_bytes", "memory available (MemAvailable)",
          sys.memory_available_bytes);
    Gauge("dmpd_node_memory_utilisation_ratio", "1 - MemAvailable / MemTotal",
          sys.memory_utilisation_ratio);
    Gauge("dmpd_node_cpu_temperature_celsius", "hottest CPU temperature sensor",
          sys.cpu_temperature_celsius);
    Sensors("dmpd_node_temperature_celsius", "temperature sensors (thermal zones, hwmon)",
            sys.temperatures_celsius);
    Sensors("dmpd_node_supply_voltage_volts", "hwmon voltage sensors", sys.voltages_volts);
    Sensors("dmpd_node_supply_current_amperes", "hwmon current sensors", sys.currents_amperes);
    Sensors("dmpd_node_supply_power_watts", "hwmon power sensors", sys.powers_watts);
    Gauge("dmpd_node_io_utilisation_ratio", "busy share of the busiest disk",
          sys.io_utilisation_ratio);
    WriteGauge<DiskIo, std::optional<double>>(
        w_, "dmpd_node_disk_io_utilisation_ratio",
        "share of the interval the disk was doing I/O (io_ticks)", std::span(sys.disks),
        [&](const DiskIo& d) { return With("device", d.device); },
        [](const DiskIo& d) { return d.utilisation_ratio; });
    WriteCounterFamilies<KernelCounter::kCount, InterfaceTraffic>(
        w_, "dmpd_node_network_", std::span(kKernelCounters), std::span(sys.interfaces),
        [](const InterfaceTraffic& t) { return &t.counters; },
        [&](const InterfaceTraffic& t) { return With("interface", t.name); });
    Gauge("dmpd_node_network_receive_bytes_per_second", "all interfaces but lo",
          Bytes(sys.network_receive_bits_per_second));
    Gauge("dmpd_node_network_transmit_bytes_per_second", "all interfaces but lo",
          Bytes(sys.network_transmit_bits_per_second));
    Gauge("dmpd_node_network_load_ratio",
          "traffic over the capacity of the interfaces that report a speed",
          sys.network_load_ratio);
    const std::array<const SystemSample*, 1> one = {&sys};
    WriteCounterFamilies<ReceivePathCounter::kCount, const SystemSample*>(
        w_, "dmpd_node_", std::span(kReceivePathCounters), std::span(one),
        [](const SystemSample* x) { return &x->receive_path; },
        [&](const SystemSample*) { return Node(); });
  }

  void WritePorts() {
    const std::span<const PortSample> ports(s_.ports);
    const auto port = [&](const PortSample& p) { return With("port", p.name); };
    WriteGauge<PortSample, std::optional<double>>(
        w_, "dmpd_port_up", "1 when the port is usable: kernel link and PMD link up", ports, port,
        [](const PortSample& p) { return Bool(p.up); });

    // The PMD, per queue.
    struct Queue {
      const PortSample* port;
      size_t index;
    };
    std::vector<Queue> queues;
    for (const PortSample& p : s_.ports) {
      for (size_t i = 0; i < p.pmd_queues.size(); ++i) queues.push_back({&p, i});
    }
    const auto queue_labels = [&](const Queue& q) {
      Labels l = port(*q.port);
      l.emplace_back("queue", std::to_string(q.index));
      return l;
    };
    WriteCounterFamilies<PmdCounter::kCount, Queue>(
        w_, "dmpd_port_pmd_", std::span(kPmdCounters), std::span<const Queue>(queues),
        [](const Queue& q) { return &q.port->pmd_queues[q.index].counters; }, queue_labels);
    w_.Family("dmpd_port_pmd_xstat", "untyped", "the PMD's extended statistics, by its names");
    for (const Queue& q : queues) {
      for (const auto& [name, value] : q.port->pmd_queues[q.index].xstats) {
        Labels l = queue_labels(q);
        l.emplace_back("xstat", name);
        w_.Sample(l, value);
      }
    }

    // The kernel's view.
    WriteCounterFamilies<KernelCounter::kCount, PortSample>(
        w_, "dmpd_port_kernel_", std::span(kKernelCounters), ports,
        [](const PortSample& p) { return p.kernel.present ? &p.kernel.counters : nullptr; }, port);
    WriteGauge<PortSample, std::optional<double>>(
        w_, "dmpd_port_kernel_oper_up", "1 when the kernel reports the interface up", ports, port,
        [](const PortSample& p) { return p.kernel.present ? Bool(p.kernel.up()) : std::nullopt; });
    WriteGauge<PortSample, std::optional<double>>(
        w_, "dmpd_port_kernel_speed_bytes_per_second", "link speed the kernel reports", ports, port,
        [](const PortSample& p) -> std::optional<double> {
          if (!p.kernel.speed_mbps) return std::nullopt;
          return static_cast<double>(*p.kernel.speed_mbps) * 1e6 / 8;
        });
    WriteGauge<PortSample, std::optional<uint64_t>>(
        w_, "dmpd_port_kernel_mtu_bytes", "MTU of the interface", ports, port,
        [](const PortSample& p) -> std::optional<uint64_t> { return p.kernel.mtu_bytes; });
    w_.Family("dmpd_port_kernel_ring_entries", "gauge", "ring size in descriptors (ethtool -g)");
    for (const PortSample& p : s_.ports) {
      if (!p.kernel.rings) continue;
      for (const auto& [dir, value, max] :
           {std::tuple{"rx", p.kernel.rings->rx_entries, false},
            std::tuple{"tx", p.kernel.rings->tx_entries, false},
            std::tuple{"rx", p.kernel.rings->rx_max_entries, true},
            std::tuple{"tx", p.kernel.rings->tx_max_entries, true}}) {
        Labels l = port(p);
        l.emplace_back("direction", dir);
        l.emplace_back("setting", max ? "maximum" : "current");
        w_.Sample(l, static_cast<uint64_t>(value));
      }
    }
    w_.Family("dmpd_port_kernel_channels", "gauge", "queue channels (ethtool -l)");
    for (const PortSample& p : s_.ports) {
      if (!p.kernel.channels) continue;
      const ChannelCounts& c = *p.kernel.channels;
      for (const auto& [type, value, max] :
           {std::tuple{"rx", c.rx, false}, std::tuple{"tx", c.tx, false},
            std::tuple{"other", c.other, false}, std::tuple{"combined", c.combined, false},
            std::tuple{"rx", c.max_rx, true}, std::tuple{"tx", c.max_tx, true},
            std::tuple{"other", c.max_other, true}, std::tuple{"combined", c.max_combined, true}}) {
        Labels l = port(p);
        l.emplace_back("type", type);
        l.emplace_back("setting", max ? "maximum" : "current");
        w_.Sample(l, static_cast<uint64_t>(value));
      }
    }

    // The XDP program: one family, the action as a label.
    w_.Family("dmpd_port_xdp_frames_total", "counter",
              "frames the XDP steering program handled, by what it did");
    for (const PortSample& p : s_.ports) {
      if (!p.xdp) continue;
      for (size_t i = 0; i < kXdpCounters.size(); ++i) {
        Labels l = port(p);
        l.emplace_back("action", std::string(kXdpCounters[i].key));
        w_.Sample(l, p.xdp->total[i]);
      }
    }

    // The paper's model.
    // Prometheus' base unit is the byte: F_port of eq. (1) is 8 × this counter.
    w_.Family("dmpd_port_traffic_bytes_total", "counter",
              "F_port / 8, eq. (1): bytes received and transmitted over all PMD queues");
    for (const PortSample& p : s_.ports) w_.Sample(port(p), p.traffic_bits / 8);
    using Getter = std::optional<double> (*)(const PortSample&);
    const std::tuple<std::string_view, std::string_view, Getter> model[] = {
        {"dmpd_port_receive_bytes_per_second", "PMD receive rate over the last interval",
         [](const PortSample& p) { return Bytes(p.receive_bits_per_second); }},
        {"dmpd_port_transmit_bytes_per_second", "PMD transmit rate over the last interval",
         [](const PortSample& p) { return Bytes(p.transmit_bits_per_second); }},
        {"dmpd_port_bandwidth_bytes_per_second", "BW of eq. (3): link speed, else configured",
         [](const PortSample& p) { return Bytes(p.bandwidth_bits_per_second); }},
        {"dmpd_port_utilisation_ratio", "U_port, eq. (3): DMPD traffic over BW",
         [](const PortSample& p) { return p.utilisation_ratio; }},
        {"dmpd_port_kernel_utilisation_ratio", "the kernel's byte counters over BW",
         [](const PortSample& p) { return p.kernel_utilisation_ratio; }},
        {"dmpd_port_loss_ratio", "R_loss, eq. (2): 1 - peer-received / sent",
         [](const PortSample& p) { return p.loss_ratio; }},
        {"dmpd_port_queue_overflow_ratio", "arriving frames that found a receive queue full",
         [](const PortSample& p) { return p.overflow_ratio; }},
        {"dmpd_port_instant_load_ratio", "L'_i, eq. (5): weighted utilisation, loss, overflow",
         [](const PortSample& p) { return p.instant_load; }},
        {"dmpd_port_load_ratio", "L_i, eq. (6): smoothed port load (gamma 0.8)",
         [](const PortSample& p) { return p.load; }},
    };
    for (const auto& [name, help, get] : model) {
      WriteGauge<PortSample, std::optional<double>>(w_, name, help, ports, port, get);
    }
  }

  void WriteLcores() {
    const std::span<const LcoreSample> lcores(s_.lcores);
    const auto labels = [&](const LcoreSample& l) {
      Labels x = With("lcore", std::to_string(l.lcore_id));
      x.emplace_back("role", l.role);
      return x;
    };
    WriteCounterFamilies<LcoreCounter::kCount, LcoreSample>(
        w_, "dmpd_lcore_", std::span(kLcoreCounters), lcores,
        [](const LcoreSample& l) { return &l.counters; }, labels);
    WriteGauge<LcoreSample, std::optional<double>>(
        w_, "dmpd_lcore_busy_ratio", "busy polls over all polls in the last interval", lcores,
        labels, [](const LcoreSample& l) { return l.busy_ratio; });
    WriteGauge<LcoreSample, std::optional<double>>(
        w_, "dmpd_lcore_seconds_since_progress", "time since the lcore's counters last moved",
        lcores, labels,
        [](const LcoreSample& l) { return absl::ToDoubleSeconds(l.since_progress); });
  }

  void WritePipes() {
    const std::span<const PipeSample> pipes(s_.pipes);
    const auto labels = [&](const PipeSample& p) {
      Labels x = With("pipe", std::to_string(p.id));
      x.emplace_back("name", p.name);
      return x;
    };
    w_.Family("dmpd_pipe_info", "gauge", "a pipe's state and priority; always 1");
    for (const PipeSample& p : pipes) {
      Labels l = labels(p);
      l.emplace_back("state", p.state);
      l.emplace_back("priority", std::to_string(p.priority));
      w_.Sample(l, 1.0);
    }
    WriteGauge<PipeSample, std::optional<uint64_t>>(
        w_, "dmpd_pipe_capacity_bytes", "pipe size: its rings' capacity, bytes", pipes, labels,
        [](const PipeSample& p) -> std::optional<uint64_t> { return p.capacity_bytes; });
    WriteGauge<PipeSample, std::optional<uint64_t>>(
        w_, "dmpd_pipe_fill_bytes", "bytes queued in the pipe (its rx and tx rings)", pipes, labels,
        [](const PipeSample& p) -> std::optional<uint64_t> { return p.fill_bytes; });
    WriteGauge<PipeSample, std::optional<double>>(w_, "dmpd_pipe_fill_ratio", "fill over size",
                                                  pipes, labels,
                                                  [](const PipeSample& p) { return p.fill_ratio; });
    WriteCounterFamilies<PipeCounter::kCount, PipeSample>(
        w_, "dmpd_pipe_", std::span(kPipeCounters), pipes,
        [](const PipeSample& p) { return &p.counters; }, labels);
  }

  void WriteSelf() {
    w_.Family("dmpd_monitor_samples_total", "counter", "monitoring samples taken");
    w_.Sample(Node(), s_.self.samples);
    w_.Family("dmpd_monitor_source_resets_total", "counter",
              "counters seen going back (a restarted PMD, a re-created interface)");
    w_.Sample(Node(), s_.self.counter_resets);
    Gauge("dmpd_monitor_sample_duration_seconds", "wall-clock time the last sample took",
          std::optional<double>(absl::ToDoubleSeconds(s_.self.last_sample_duration)));
    Gauge("dmpd_monitor_interval_seconds", "the last sampling interval (delta tau)",
          s_.interval_seconds);
  }

  const NodeSample& s_;
  const std::string node_;
  PrometheusTextWriter w_;
};

}  // namespace

std::string RenderPrometheus(const NodeSample& sample) { return Exposition(sample).Render(); }

}  // namespace dmpd::monitor
