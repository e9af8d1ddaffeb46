// SPDX-License-Identifier: BSD-3-Clause
// The node's system view (MON-1; paper Table 1: CPU, memory, power, I/O, network) and the
// hugepage part of MON-5, read from procfs and sysfs below configurable roots. Stateful:
// utilisations and rates are deltas against the previous Collect.
#ifndef DMPD_USERSPACE_MONITOR_SYSTEM_COLLECTOR_H_
#define DMPD_USERSPACE_MONITOR_SYSTEM_COLLECTOR_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "userspace/monitor/counter_block.h"

namespace dmpd::monitor {

// A hwmon or thermal-zone reading in base units (°C, V, A, W).
struct SensorReading {
  std::string name;  // "coretemp/Package id 0", "thermal_zone0/x86_pkg_temp", "ina3221/in1"
  double value = 0;
};

struct CoreUtilisation {
  uint32_t cpu = 0;                         // N of cpuN in /proc/stat
  std::optional<double> utilisation_ratio;  // busy share of the interval's jiffies
};

struct DiskIo {
  std::string device;
  uint64_t io_ticks_ms = 0;                 // /proc/diskstats: ms spent doing I/O
  std::optional<double> utilisation_ratio;  // Δio_ticks / interval, as iostat's %util
};

struct InterfaceTraffic {  // /proc/net/dev: every interface of our namespace but lo
  std::string name;
  KernelCounterBlock counters;  // the columns /proc/net/dev has; the rest not available
  std::optional<uint64_t> speed_mbps;
};

struct SystemSample {
  // CPU
  std::optional<uint32_t> cpu_count;
  std::optional<double> cpu_utilisation_ratio;  // all CPUs
  std::vector<CoreUtilisation> cores;
  std::optional<double> load1, load5, load15;
  std::optional<uint64_t> processes;              // thread-group leaders (numeric dirs of procfs)
  std::optional<uint64_t> threads;                // kernel scheduling entities (/proc/loadavg)
  std::optional<double> cpu_temperature_celsius;  // hottest CPU sensor
  // Memory
  std::optional<uint64_t> memory_total_bytes;
  std::optional<uint64_t> memory_available_bytes;
  std::optional<double> memory_utilisation_ratio;  // 1 − MemAvailable / MemTotal
  std::optional<uint64_t> hugepage_size_bytes;
  std::optional<uint64_t> hugepages_total;
  std::optional<uint64_t> hugepages_free;
  // Power and sensors
  std::vector<SensorReading> temperatures_celsius;
  std::vector<SensorReading> voltages_volts;
  std::vector<SensorReading> currents_amperes;
  std::vector<SensorReading> powers_watts;
  // I/O
  std::vector<DiskIo> disks;
  std::optional<double> io_utilisation_ratio;  // the busiest disk
  // Network
  std::vector<InterfaceTraffic> interfaces;
  std::optional<double> network_receive_bits_per_second;
  std::optional<double> network_transmit_bits_per_second;
  // (rx + tx) / Σ speed over the interfaces that report a speed.
  std::optional<double> network_load_ratio;
  ReceivePathCounterBlock receive_path;
  // Counters found lower than last time (a reset) in this sample.
  uint32_t counter_resets = 0;
};

class SystemCollector {
 public:
  SystemCollector(std::filesystem::path procfs_root, std::filesystem::path sysfs_root)
      : procfs_(std::move(procfs_root)), sysfs_(std::move(sysfs_root)) {}

  // Never fails: a missing source is not available, and does not stop the others.
  SystemSample Collect(absl::Time now);

 private:
  struct CpuJiffies {
    uint64_t busy = 0;
    uint64_t total = 0;
  };

  void CollectCpu(SystemSample& s);
  void CollectLoadAndTasks(SystemSample& s) const;
  void CollectMemory(SystemSample& s) const;
  void CollectSensors(SystemSample& s) const;
  void CollectDisks(SystemSample& s, double interval_seconds);
  void CollectNetwork(SystemSample& s, double interval_seconds);
  void CollectReceivePath(SystemSample& s, double interval_seconds);

  std::filesystem::path procfs_;
  std::filesystem::path sysfs_;
  std::optional<absl::Time> last_time_;
  std::optional<CpuJiffies> last_total_;
  std::map<uint32_t, CpuJiffies> last_cores_;
  std::map<std::string, uint64_t> last_io_ticks_ms_;
  std::map<std::string, KernelCounterBlock> last_interfaces_;
  std::optional<ReceivePathCounterBlock> last_receive_path_;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_SYSTEM_COLLECTOR_H_
