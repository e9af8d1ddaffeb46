// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/system_collector.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "userspace/monitor/read_file.h"

namespace dmpd::monitor {
namespace {

std::optional<double> Ratio(uint64_t part, uint64_t whole) {
  if (whole == 0) return std::nullopt;
  return std::clamp(static_cast<double>(part) / static_cast<double>(whole), 0.0, 1.0);
}

// Sensors whose name says they measure the CPU package or cores.
bool IsCpuSensor(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kCpuish = {
      "coretemp", "k10temp", "zenpower", "cpu", "x86_pkg_temp", "soc", "package"};
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(kCpuish.begin(), kCpuish.end(),
                     [&](std::string_view k) { return lower.find(k) != std::string::npos; });
}

// hwmon files: <kind><N>_input in milli-units (µW for power), <kind><N>_label optional.
void ReadHwmonKind(const std::filesystem::path& dir, std::string_view chip, std::string_view kind,
                   std::string_view input_suffix, double scale, std::vector<SensorReading>& out) {
  for (const std::string& file : ListDirectory(dir)) {
    if (!file.starts_with(kind) || !file.ends_with(input_suffix)) continue;
    const std::string_view channel =
        std::string_view(file).substr(0, file.size() - input_suffix.size());
    if (channel.size() == kind.size()) continue;  // "temp_input" is no channel
    std::optional<int64_t> raw = ReadInt64File(dir / file);
    if (!raw) continue;
    std::string label(channel);
    if (absl::StatusOr<std::string> l = ReadFirstLine(dir / (label + "_label")); l.ok()) {
      label = *l;
    }
    out.push_back({std::string(chip) + "/" + label, static_cast<double>(*raw) * scale});
  }
}

}  // namespace

SystemSample SystemCollector::Collect(absl::Time now) {
  SystemSample s;
  const double interval_seconds =
      last_time_ ? absl::ToDoubleSeconds(now - *last_time_) : 0.0;  // 0: no rates yet
  CollectCpu(s);
  CollectLoadAndTasks(s);
  CollectMemory(s);
  CollectSensors(s);
  CollectDisks(s, interval_seconds);
  CollectNetwork(s, interval_seconds);
  CollectReceivePath(s, interval_seconds);
  last_time_ = now;
  return s;
}

void SystemCollector::CollectCpu(SystemSample& s) {
  absl::StatusOr<std::string> stat = ReadTextFile(procfs_ / "stat");
  if (!stat.ok()) return;
  std::map<uint32_t, CpuJiffies> cores;
  for (std::string_view line : SplitLines(*stat)) {
    if (!line.starts_with("cpu")) continue;
    const std::vector<std::string_view> f = SplitFields(line);
    if (f.size() < 5) continue;
    // user nice system idle iowait irq softirq steal (guest is already inside user).
    CpuJiffies j;
    for (size_t i = 1; i < f.size() && i <= 8; ++i) {
      const uint64_t v = ParseUint64(f[i]).value_or(0);
      j.total += v;
      if (i != 4 && i != 5) j.busy += v;  // idle and iowait are not busy
    }
    const auto cpu_id = [&]() { return ParseUint64(f[0].substr(3)); };
    if (f[0] == "cpu") {
      if (last_total_) {
        const CounterStep busy = CounterIncrease(last_total_->busy, j.busy);
        const CounterStep total = CounterIncrease(last_total_->total, j.total);
        if (!busy.reset && !total.reset)
          s.cpu_utilisation_ratio = Ratio(busy.increase, total.increase);
      }
      last_total_ = j;
    } else if (std::optional<uint64_t> id = cpu_id()) {
      cores[static_cast<uint32_t>(*id)] = j;
    }
  }
  s.cpu_count = static_cast<uint32_t>(cores.size());
  for (const auto& [id, j] : cores) {
    CoreUtilisation c{id, std::nullopt};
    if (auto it = last_cores_.find(id); it != last_cores_.end()) {
      const CounterStep busy = CounterIncrease(it->second.busy, j.busy);
      const CounterStep total = CounterIncrease(it->second.total, j.total);
      // A CPU that went offline and came back restarts its jiffies: skip that interval.
      if (!busy.reset && !total.reset) c.utilisation_ratio = Ratio(busy.increase, total.increase);
    }
    s.cores.push_back(c);
  }
  last_cores_ = std::move(cores);
}

void SystemCollector::CollectLoadAndTasks(SystemSample& s) const {
  // "0.04 0.10 0.05 1/84 7798": load 1/5/15, runnable/total scheduling entities, last pid.
  if (absl::StatusOr<std::string> la = ReadFirstLine(procfs_ / "loadavg"); la.ok()) {
    const std::vector<std::string_view> f = SplitFields(*la);
    if (f.size() > 2) {
      s.load1 = ParseDouble(f[0]);
      s.load5 = ParseDouble(f[1]);
      s.load15 = ParseDouble(f[2]);
    }
    if (f.size() > 3) {
      const size_t slash = f[3].find('/');
      if (slash != std::string_view::npos) s.threads = ParseUint64(f[3].substr(slash + 1));
    }
  }
  uint64_t processes = 0;
  bool any = false;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(procfs_, ec), end; !ec && it != end;
       it.increment(ec)) {
    any = true;
    const std::string name = it->path().filename().string();
    if (!name.empty() &&
        std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); }))
      ++processes;
  }
  if (any) s.processes = processes;
}

void SystemCollector::CollectMemory(SystemSample& s) const {
  absl::StatusOr<std::string> mi = ReadTextFile(procfs_ / "meminfo");
  if (!mi.ok()) return;
  for (std::string_view line : SplitLines(*mi)) {
    const std::vector<std::string_view> f = SplitFields(line);
    if (f.size() < 2) continue;
    const std::optional<uint64_t> v = ParseUint64(f[1]);
    if (!v) continue;
    const uint64_t kib = *v * 1024;  // meminfo's "kB" is KiB
    if (f[0] == "MemTotal:") s.memory_total_bytes = kib;
    if (f[0] == "MemAvailable:") s.memory_available_bytes = kib;
    if (f[0] == "Hugepagesize:") s.hugepage_size_bytes = kib;
    if (f[0] == "HugePages_Total:") s.hugepages_total = *v;  // a count, no unit
    if (f[0] == "HugePages_Free:") s.hugepages_free = *v;
  }
  if (s.memory_total_bytes && s.memory_available_bytes && *s.memory_total_bytes > 0) {
    s.memory_utilisation_ratio = 1.0 - *Ratio(*s.memory_available_bytes, *s.memory_total_bytes);
  }
}

void SystemCollector::CollectSensors(SystemSample& s) const {
  const std::filesystem::path thermal = sysfs_ / "class/thermal";
  for (const std::string& zone : ListDirectory(thermal)) {
    if (!zone.starts_with("thermal_zone")) continue;
    std::optional<int64_t> milli = ReadInt64File(thermal / zone / "temp");
    if (!milli) continue;
    absl::StatusOr<std::string> type = ReadFirstLine(thermal / zone / "type");
    s.temperatures_celsius.push_back(
        {zone + "/" + (type.ok() ? *type : std::string("unknown")), *milli / 1000.0});
  }
  const std::filesystem::path hwmon = sysfs_ / "class/hwmon";
  for (const std::string& chip_dir : ListDirectory(hwmon)) {
    const std::filesystem::path dir = hwmon / chip_dir;
    absl::StatusOr<std::string> chip = ReadFirstLine(dir / "name");
    const std::string name = chip.ok() ? *chip : chip_dir;
    ReadHwmonKind(dir, name, "temp", "_input", 1e-3, s.temperatures_celsius);  // m°C
    ReadHwmonKind(dir, name, "in", "_input", 1e-3, s.voltages_volts);          // mV
    ReadHwmonKind(dir, name, "curr", "_input", 1e-3, s.currents_amperes);      // mA
    ReadHwmonKind(dir, name, "power", "_input", 1e-6, s.powers_watts);         // µW
  }
  for (const SensorReading& t : s.temperatures_celsius) {
    if (!IsCpuSensor(t.name)) continue;
    s.cpu_temperature_celsius = std::max(s.cpu_temperature_celsius.value_or(t.value), t.value);
  }
}

void SystemCollector::CollectDisks(SystemSample& s, double interval_seconds) {
  absl::StatusOr<std::string> ds = ReadTextFile(procfs_ / "diskstats");
  if (!ds.ok()) return;
  std::map<std::string, uint64_t> ticks;
  for (std::string_view line : SplitLines(*ds)) {
    // major minor name, then reads… ; io_ticks (ms) is the 10th statistic.
    const std::vector<std::string_view> f = SplitFields(line);
    if (f.size() < 13) continue;
    const std::string dev(f[2]);
    if (dev.starts_with("loop") || dev.starts_with("ram")) continue;
    std::error_code ec;
    if (!std::filesystem::exists(sysfs_ / "block" / dev, ec)) continue;  // a partition
    const std::optional<uint64_t> io_ticks_ms = ParseUint64(f[12]);
    if (!io_ticks_ms) continue;
    DiskIo d{dev, *io_ticks_ms, std::nullopt};
    if (auto it = last_io_ticks_ms_.find(dev); it != last_io_ticks_ms_.end()) {
      // io_ticks is an unsigned int in the kernel: it wraps at 32 bits.
      const CounterStep step = CounterIncrease(it->second, d.io_ticks_ms, CounterWidth::k32Bits);
      s.counter_resets += step.reset ? 1 : 0;
      if (!step.reset && interval_seconds > 0) {
        d.utilisation_ratio = std::clamp(step.increase / 1000.0 / interval_seconds, 0.0, 1.0);
      }
    }
    if (d.utilisation_ratio) {
      s.io_utilisation_ratio = std::max(s.io_utilisation_ratio.value_or(0.0), *d.utilisation_ratio);
    }
    ticks[dev] = d.io_ticks_ms;
    s.disks.push_back(std::move(d));
  }
  last_io_ticks_ms_ = std::move(ticks);
}

void SystemCollector::CollectNetwork(SystemSample& s, double interval_seconds) {
  absl::StatusOr<std::string> nd = ReadTextFile(procfs_ / "net/dev");
  if (!nd.ok()) return;
  // /proc/net/dev's 16 columns, by position, into the kernel counter list. Its "drop"
  // is rx_dropped + rx_missed_errors.
  static constexpr std::array<std::pair<size_t, size_t>, 10> kColumns = {{
      {0, KernelCounter::rx_bytes},
      {1, KernelCounter::rx_packets},
      {2, KernelCounter::rx_errors},
      {3, KernelCounter::rx_dropped},
      {4, KernelCounter::rx_fifo_errors},
      {8, KernelCounter::tx_bytes},
      {9, KernelCounter::tx_packets},
      {10, KernelCounter::tx_errors},
      {11, KernelCounter::tx_dropped},
      {12, KernelCounter::tx_fifo_errors},
  }};
  std::map<std::string, KernelCounterBlock> seen;
  double rx_bps = 0, tx_bps = 0, capacity_bps = 0, traffic_on_known_speed_bps = 0;
  bool have_rates = false;
  for (std::string_view line : SplitLines(*nd)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // the two header lines
    const std::string name(TrimBlanks(line.substr(0, colon)));
    if (name == "lo") continue;
    const std::vector<std::string_view> f = SplitFields(line.substr(colon + 1));
    if (f.size() < 16) continue;
    InterfaceTraffic t;
    t.name = name;
    for (const auto& [column, counter] : kColumns)
      t.counters.total[counter] = ParseUint64(f[column]);
    if (auto it = last_interfaces_.find(name); it != last_interfaces_.end()) {
      s.counter_resets += t.counters.Advance(&it->second, interval_seconds);
    }
    if (std::optional<int64_t> sp = ReadInt64File(sysfs_ / "class/net" / name / "speed");
        sp && *sp > 0) {
      t.speed_mbps = static_cast<uint64_t>(*sp);
    }
    const std::optional<double> rx = t.counters.per_second[KernelCounter::rx_bytes];
    const std::optional<double> tx = t.counters.per_second[KernelCounter::tx_bytes];
    if (rx && tx) {
      have_rates = true;
      rx_bps += *rx * 8;
      tx_bps += *tx * 8;
      if (t.speed_mbps) {
        capacity_bps += static_cast<double>(*t.speed_mbps) * 1e6;
        traffic_on_known_speed_bps += (*rx + *tx) * 8;
      }
    }
    seen[name] = t.counters;
    s.interfaces.push_back(std::move(t));
  }
  if (have_rates) {
    s.network_receive_bits_per_second = rx_bps;
    s.network_transmit_bits_per_second = tx_bps;
    if (capacity_bps > 0) s.network_load_ratio = traffic_on_known_speed_bps / capacity_bps;
  }
  last_interfaces_ = std::move(seen);
}

void SystemCollector::CollectReceivePath(SystemSample& s, double interval_seconds) {
  ReceivePathCounterBlock& b = s.receive_path;
  // softnet_stat: a row per CPU, hex: processed, dropped, time_squeeze, …
  if (absl::StatusOr<std::string> sn = ReadTextFile(procfs_ / "net/softnet_stat"); sn.ok()) {
    std::array<uint64_t, 3> sums{};
    bool any = false;
    for (std::string_view line : SplitLines(*sn)) {
      const std::vector<std::string_view> f = SplitFields(line);
      if (f.size() < 3) continue;
      any = true;
      for (size_t i = 0; i < 3; ++i) sums[i] += ParseUint64(f[i], 16).value_or(0);
    }
    if (any) {
      b.total[ReceivePathCounter::softnet_processed] = sums[0];
      b.total[ReceivePathCounter::softnet_dropped] = sums[1];
      b.total[ReceivePathCounter::softnet_time_squeeze] = sums[2];
    }
  }
  // softirqs: a header of CPUs, then "NET_RX: n n …".
  if (absl::StatusOr<std::string> si = ReadTextFile(procfs_ / "softirqs"); si.ok()) {
    for (std::string_view line : SplitLines(*si)) {
      const std::vector<std::string_view> f = SplitFields(line);
      if (f.empty()) continue;
      size_t counter;
      if (f[0] == "NET_RX:") {
        counter = ReceivePathCounter::softirq_net_rx;
      } else if (f[0] == "NET_TX:") {
        counter = ReceivePathCounter::softirq_net_tx;
      } else {
        continue;
      }
      uint64_t sum = 0;
      for (size_t i = 1; i < f.size(); ++i) sum += ParseUint64(f[i]).value_or(0);
      b.total[counter] = sum;
    }
  }
  // The per-CPU softnet and softirq counters are unsigned int: their sums wrap unevenly,
  // so a drop is taken as a reset rather than a 32-bit wrap.
  s.counter_resets +=
      b.Advance(last_receive_path_ ? &*last_receive_path_ : nullptr, interval_seconds);
  last_receive_path_ = b;
}

}  // namespace dmpd::monitor
