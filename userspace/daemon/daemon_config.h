// SPDX-License-Identifier: BSD-3-Clause
// DaemonConfig: everything dmpdd is told, from one config file (`key = value` lines) and
// from flags (`--key value` or `--key=value`, dashes or underscores). Flags win over the
// file. Every bad value is an error that names the field and says what is expected.
#ifndef DMPD_USERSPACE_DAEMON_DAEMON_CONFIG_H_
#define DMPD_USERSPACE_DAEMON_DAEMON_CONFIG_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "userspace/vs/connection_table.h"

namespace dmpd {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

struct DaemonConfig {
  uint16_t node = 0;
  bool node_set = false;
  uint32_t cluster_id = 1;
  std::vector<std::string> interfaces;
  std::string control_socket = "/run/dmpd/dmpdd.sock";
  // Pipes (PIPE-1, REL-4): the applications' session socket, the group allowed on it, and
  // limits on what applications may claim.
  std::string pipe_socket = "/run/dmpd/dmpdd-pipes.sock";
  std::string pipe_group = "dmpd";
  uint32_t max_pipes = 64;
  uint32_t pipe_memory_mb = 256;  // shared ring memory over all pipes
  // Frames a lower-priority pipe keeps in flight to a node while a higher one sends, and
  // 1 KiB of DMPD payload per frame (messages and their 16 B data headers: at 4, three
  // frames of 1 KiB messages); 0: no yielding. pipe::EngineOptions::yield_window_*.
  uint32_t pipe_yield_window = 4;
  uint32_t hello_interval_ms = 1000;
  uint16_t ethertype = 0x88B5;
  bool filter_other_clusters = true;
  std::string bpf_pin_dir;  // default: /sys/fs/bpf/dmpd/node<N>
  std::string lock_dir = "/run/dmpd/locks";
  LogLevel log_level = LogLevel::kInfo;
  uint32_t memory_mb = 0;         // DPDK heap (no hugepages); 0: sized for the ports (main.cc)
  uint32_t mbufs_per_port = 8192;  // the rx ring (4096), tx and pipe frames in flight
  // After this many empty polls in a row the worker sleeps on the sockets (DP-7).
  uint32_t idle_polls_before_sleep = 512;
  uint32_t idle_sleep_max_us = 10000;
  // Between those empty polls the worker yields its core (sched_yield): applications that
  // share it run at once instead of waiting for the idle polls to run out.
  bool idle_yield = true;
  // Monitoring (MON-*, OPS-2).
  std::string metrics_address = "127.0.0.1";  // REL-4: loopback unless told otherwise
  uint16_t metrics_port = 9478;               // 0: no metrics server
  uint32_t sample_interval_ms = 1000;
  uint32_t history_length = 300;
  // BW of eq. (3) for ports that report no link speed (veth); 0: not configured.
  uint64_t port_bandwidth_mbps = 0;
  // The load balancer (issue 10, LB-1..6): "balanced" (the paper's algorithm) or "static"
  // (the Toeplitz hash alone, as bonding balance-xor/LACP); "gap" (a port over the mean by
  // 10 %) or "paper" (WL of eq. (8) over lb_wl_threshold) decides what is overloaded.
  std::string lb_policy = "balanced";
  std::string lb_criterion = "gap";
  double lb_wl_threshold = 1.86;
  // The virtual service (issue 9, docs/vs.md): services and backends (each repeatable,
  // in the order given), the vdport range (reserved from the kernel's ephemeral ports),
  // the connection table's size and the backends' TCP checks (interval 0: none).
  std::vector<std::string> vs_services;  // "VIP:PORT/PROTO [rr|wrr|lc]"
  std::vector<std::string> vs_backends;  // "VIP:PORT/PROTO ADDRESS:PORT [WEIGHT]"
  uint16_t vs_vdport_first = 61000;
  uint16_t vs_vdport_last = 65535;
  uint32_t vs_max_connections = 65536;
  uint32_t vs_health_interval_ms = 1000;
  uint32_t vs_health_timeout_ms = 1000;
  // Connection timeouts by state, seconds (LVS's defaults; vs_timeout_<state>_s).
  vs::ConnTimeouts vs_timeouts;
  // Bounds on what outsiders can make the daemon hold (REL-5).
  uint32_t max_neighbours = 4096;  // (local port, node, port) entries
  uint32_t control_max_clients = 64;
  uint32_t metrics_max_clients = 32;
  uint32_t client_timeout_ms = 1000;  // a control or metrics client's whole exchange

  // DP-3: DMPD frames unicast to another MAC are dropped in XDP unless this is set (nodes
  // behind a device that rewrites destination MACs).
  bool accept_foreign_unicast = false;
  // Ports whose driver has no native XDP are refused unless this is set (generic mode).
  bool allow_generic_xdp = false;
  // The cluster (CLU-*, MON-7).
  uint32_t cluster_interval_ms = 1000;
  uint32_t cluster_reply_delay_ms = 0;  // 0: half the interval
  uint32_t port_down_after = 3;         // cycles
  uint32_t node_failed_after = 3;       // missed responses
  uint32_t master_failed_after = 3;     // intervals without the master
  uint8_t priority = 100;
  bool preempt = false;
  uint32_t rejoin_hold_ms = 5000;
  bool leave_when_unhealthy = true;
  // MON-7 health limits, percent; 0 turns a check off. SIGHUP applies them.
  uint32_t max_loss_percent = 50;    // a port's R_loss (eq. 2), sustained
  uint32_t max_memory_percent = 95;  // the node's memory utilisation
  uint32_t max_cpu_percent = 0;      // off: busy-polling workers read 100 % by design
  // PROTO-4: a file with the shared cluster key (raw bytes; owner-only permissions). Set:
  // every control frame is signed, and unsigned or mis-signed ones are dropped.
  std::string cluster_key_file;

  friend bool operator==(const DaemonConfig&, const DaemonConfig&) = default;
};

// Sets one field from text. `key` uses underscores or dashes.
absl::Status ApplySetting(DaemonConfig& config, absl::string_view key, absl::string_view value);

// Applies a config file's text; errors name the file and line.
absl::Status ApplyConfigText(DaemonConfig& config, absl::string_view text,
                             absl::string_view origin);

// Parses argv (without argv[0]): `--config FILE` is applied first, then the other flags
// in order. `--help` and `--version` yield kCancelled with the text to print as message.
absl::StatusOr<DaemonConfig> ParseDaemonArgs(const std::vector<std::string>& args);

// Checks the fields that are required or depend on each other and fills derived defaults.
absl::Status FinalizeConfig(DaemonConfig& config);

std::string DaemonUsage();

// Every setting's name, as `--help` lists them (for "did you mean" on an unknown one).
std::vector<std::string> KnownSettingNames();

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_DAEMON_CONFIG_H_
