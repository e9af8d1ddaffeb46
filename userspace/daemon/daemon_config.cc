// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/daemon_config.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "userspace/cli/closest_name.h"
#include "userspace/cli/version.h"
#include "userspace/vs/service_spec.h"

namespace dmpd {
namespace {

constexpr std::pair<const char*, uint32_t vs::ConnTimeouts::*> kVsTimeoutSettings[] = {
    {"vs_timeout_syn_recv_s", &vs::ConnTimeouts::syn_recv_s},
    {"vs_timeout_established_s", &vs::ConnTimeouts::established_s},
    {"vs_timeout_fin_wait_s", &vs::ConnTimeouts::fin_wait_s},
    {"vs_timeout_close_s", &vs::ConnTimeouts::close_s},
    {"vs_timeout_udp_s", &vs::ConnTimeouts::udp_s}};

absl::Status Invalid(absl::string_view key, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for ", key, ": expected ", expected));
}

// Accepts decimal or 0x-prefixed hex, within [lo, hi].
template <typename T>
absl::Status ParseUnsigned(absl::string_view key, absl::string_view value, uint64_t lo,
                           uint64_t hi, T& out) {
  uint64_t v = 0;
  bool ok = absl::StartsWithIgnoreCase(value, "0x")
                ? absl::SimpleHexAtoi(value.substr(2), &v) && value.size() > 2
                : absl::SimpleAtoi(value, &v);
  if (!ok || v < lo || v > hi) {
    return Invalid(key, value, absl::StrCat("an integer from ", lo, " to ", hi));
  }
  out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status ParseBool(absl::string_view key, absl::string_view value, bool& out) {
  if (value == "true" || value == "yes" || value == "1" || value == "on") {
    out = true;
  } else if (value == "false" || value == "no" || value == "0" || value == "off") {
    out = false;
  } else {
    return Invalid(key, value, "true or false");
  }
  return absl::OkStatus();
}

absl::Status ParseChoice(absl::string_view key, absl::string_view value,
                         std::initializer_list<absl::string_view> choices, std::string& out) {
  for (absl::string_view c : choices) {
    if (value == c) {
      out = std::string(value);
      return absl::OkStatus();
    }
  }
  return Invalid(key, value, absl::StrJoin(choices, " or "));
}

absl::Status ParseInterfaces(absl::string_view key, absl::string_view value,
                             std::vector<std::string>& out) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    std::string name(absl::StripAsciiWhitespace(part));
    if (name.empty() || name.size() >= IFNAMSIZ || name.find('/') != std::string::npos) {
      return Invalid(key, value, "a comma-separated list of interface names (1-15 chars)");
    }
    if (!seen.insert(name).second) {
      return Invalid(key, value, absl::StrCat("each interface once (", name, " repeats)"));
    }
    names.push_back(std::move(name));
  }
  if (names.empty()) return Invalid(key, value, "at least one interface name");
  out = std::move(names);
  return absl::OkStatus();
}

absl::Status ParsePath(absl::string_view key, absl::string_view value, std::string& out) {
  if (value.empty() || value[0] != '/') return Invalid(key, value, "an absolute path");
  out = std::string(value);
  return absl::OkStatus();
}

// "ADDRESS:PORT" (IPv4), or "off".
absl::Status ParseListen(absl::string_view key, absl::string_view value, DaemonConfig& c) {
  if (value == "off") {
    c.metrics_port = 0;
    return absl::OkStatus();
  }
  size_t colon = value.rfind(':');
  in_addr addr{};
  uint32_t port = 0;
  if (colon == absl::string_view::npos ||
      inet_pton(AF_INET, std::string(value.substr(0, colon)).c_str(), &addr) != 1 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return Invalid(key, value, "IPV4ADDRESS:PORT (e.g. 127.0.0.1:9478) or off");
  }
  c.metrics_address = std::string(value.substr(0, colon));
  c.metrics_port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplySetting(DaemonConfig& c, absl::string_view raw_key, absl::string_view value) {
  std::string key = absl::StrReplaceAll(raw_key, {{"-", "_"}});
  value = absl::StripAsciiWhitespace(value);
  if (key == "node") {
    c.node_set = true;
    return ParseUnsigned(key, value, 0, 65534, c.node);
  }
  if (key == "cluster_id") return ParseUnsigned(key, value, 0, UINT32_MAX, c.cluster_id);
  if (key == "interfaces") return ParseInterfaces(key, value, c.interfaces);
  if (key == "control_socket") return ParsePath(key, value, c.control_socket);
  if (key == "pipe_socket") return ParsePath(key, value, c.pipe_socket);
  if (key == "pipe_group") {
    if (value.empty()) return absl::InvalidArgumentError("pipe_group: empty");
    c.pipe_group = std::string(value);
    return absl::OkStatus();
  }
  if (key == "max_pipes") return ParseUnsigned(key, value, 1, 4096, c.max_pipes);
  if (key == "pipe_memory_mb") return ParseUnsigned(key, value, 1, 65536, c.pipe_memory_mb);
  if (key == "pipe_yield_window") {
    return ParseUnsigned(key, value, 0, 1024, c.pipe_yield_window);
  }
  if (key == "hello_interval_ms") return ParseUnsigned(key, value, 10, 60000, c.hello_interval_ms);
  if (key == "ethertype") {
    // Below 0x0600 are 802.3 lengths, not types. IP, ARP and VLAN tags belong to the
    // kernel: steering one of them would take the node's own traffic (DP-1, REL-3).
    uint16_t type = 0;
    if (absl::Status s = ParseUnsigned(key, value, 0x0600, 0xFFFF, type); !s.ok()) return s;
    for (uint16_t reserved : {0x0800, 0x0806, 0x86DD, 0x8100, 0x88A8, 0x8035, 0x88CC}) {
      if (type == reserved) {
        return Invalid(key, value, "an EtherType the kernel does not use (not IPv4, ARP, "
                                   "IPv6, RARP, LLDP or an 802.1Q/802.1ad tag)");
      }
    }
    c.ethertype = type;
    return absl::OkStatus();
  }
  if (key == "filter_other_clusters") return ParseBool(key, value, c.filter_other_clusters);
  if (key == "bpf_pin_dir") return ParsePath(key, value, c.bpf_pin_dir);
  if (key == "lock_dir") return ParsePath(key, value, c.lock_dir);
  if (key == "memory_mb") return ParseUnsigned(key, value, 16, 65536, c.memory_mb);
  if (key == "mbufs_per_port") return ParseUnsigned(key, value, 6144, 1 << 20, c.mbufs_per_port);
  if (key == "idle_polls_before_sleep") {
    return ParseUnsigned(key, value, 1, 1u << 30, c.idle_polls_before_sleep);
  }
  if (key == "idle_yield") return ParseBool(key, value, c.idle_yield);
  if (key == "idle_sleep_max_us") {
    return ParseUnsigned(key, value, 10, 1000000, c.idle_sleep_max_us);
  }
  if (key == "metrics_listen") return ParseListen(key, value, c);
  if (key == "sample_interval_ms") {
    return ParseUnsigned(key, value, 10, 60000, c.sample_interval_ms);
  }
  if (key == "history_length") return ParseUnsigned(key, value, 1, 100000, c.history_length);
  if (key == "port_bandwidth_mbps") {
    return ParseUnsigned(key, value, 0, 10000000, c.port_bandwidth_mbps);
  }
  if (key == "lb_policy") return ParseChoice(key, value, {"balanced", "static"}, c.lb_policy);
  if (key == "lb_criterion") return ParseChoice(key, value, {"gap", "paper"}, c.lb_criterion);
  if (key == "vs_service" || key == "vs_backend") {
    // Checked whole here (a typo fails at start, naming the line); applied by the
    // virtual service module, which parses them again with the same functions.
    absl::Status st = key == "vs_service" ? vs::ParseServiceLine(value).status()
                                            : vs::ParseBackendLine(value).status();
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(key, ": ", st.message()));
    (key == "vs_service" ? c.vs_services : c.vs_backends).push_back(std::string(value));
    return absl::OkStatus();
  }
  if (key == "vs_vdports") {
    absl::StatusOr<std::pair<uint16_t, uint16_t>> r = vs::ParsePortRange(value);
    if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat(key, ": ", r.status().message()));
    c.vs_vdport_first = r->first;
    c.vs_vdport_last = r->second;
    return absl::OkStatus();
  }
  if (key == "vs_max_connections") {
    return ParseUnsigned(key, value, 16, 16u << 20, c.vs_max_connections);
  }
  if (key == "vs_health_interval_ms") {
    return ParseUnsigned(key, value, 0, 3'600'000, c.vs_health_interval_ms);
  }
  if (key == "vs_health_timeout_ms") {
    return ParseUnsigned(key, value, 10, 60'000, c.vs_health_timeout_ms);
  }
  for (auto [name, field] : kVsTimeoutSettings) {
    if (key == name) return ParseUnsigned(key, value, 1, 86400, c.vs_timeouts.*field);
  }
  if (key == "lb_wl_threshold") {
    if (!absl::SimpleAtod(value, &c.lb_wl_threshold) || !(c.lb_wl_threshold > 0) ||
        c.lb_wl_threshold > 1000) {
      return Invalid(key, value, "a number above 0, at most 1000");
    }
    return absl::OkStatus();
  }
  if (key == "max_neighbours") return ParseUnsigned(key, value, 16, 1u << 20, c.max_neighbours);
  if (key == "control_max_clients") {
    return ParseUnsigned(key, value, 1, 4096, c.control_max_clients);
  }
  if (key == "metrics_max_clients") {
    return ParseUnsigned(key, value, 1, 4096, c.metrics_max_clients);
  }
  if (key == "client_timeout_ms") return ParseUnsigned(key, value, 10, 60000, c.client_timeout_ms);
  if (key == "cluster_interval_ms") {
    return ParseUnsigned(key, value, 10, 5000, c.cluster_interval_ms);
  }
  if (key == "cluster_reply_delay_ms") {
    return ParseUnsigned(key, value, 0, 5000, c.cluster_reply_delay_ms);
  }
  if (key == "port_down_after") return ParseUnsigned(key, value, 1, 1000, c.port_down_after);
  if (key == "node_failed_after") return ParseUnsigned(key, value, 1, 1000, c.node_failed_after);
  if (key == "master_failed_after") {
    return ParseUnsigned(key, value, 1, 1000, c.master_failed_after);
  }
  if (key == "priority") return ParseUnsigned(key, value, 0, 255, c.priority);
  if (key == "preempt") return ParseBool(key, value, c.preempt);
  if (key == "rejoin_hold_ms") return ParseUnsigned(key, value, 0, 3600000, c.rejoin_hold_ms);
  if (key == "leave_when_unhealthy") return ParseBool(key, value, c.leave_when_unhealthy);
  if (key == "max_loss_percent") return ParseUnsigned(key, value, 0, 100, c.max_loss_percent);
  if (key == "max_memory_percent") return ParseUnsigned(key, value, 0, 100, c.max_memory_percent);
  if (key == "max_cpu_percent") return ParseUnsigned(key, value, 0, 100, c.max_cpu_percent);
  if (key == "cluster_key_file") return ParsePath(key, value, c.cluster_key_file);
  if (key == "log_level") {
    static const std::pair<const char*, LogLevel> kLevels[] = {{"error", LogLevel::kError},
                                                               {"warning", LogLevel::kWarning},
                                                               {"info", LogLevel::kInfo},
                                                               {"debug", LogLevel::kDebug}};
    for (auto [name, level] : kLevels) {
      if (value == name) {
        c.log_level = level;
        return absl::OkStatus();
      }
    }
    return Invalid(key, value, "error, warning, info or debug");
  }
  if (key == "accept_foreign_unicast") return ParseBool(key, value, c.accept_foreign_unicast);
  if (key == "allow_generic_xdp") return ParseBool(key, value, c.allow_generic_xdp);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown setting '", raw_key, "'", DidYouMean(key, KnownSettingNames())));
}

std::vector<std::string> KnownSettingNames() {
  // The usage text lists every setting at the start of a line (two spaces, the name, a
  // description); `vs_timeout_<state>_s` stands for the timeouts' own table.
  std::vector<std::string> names = {"config"};
  for (absl::string_view line : absl::StrSplit(DaemonUsage(), '\n')) {
    if (!absl::ConsumePrefix(&line, "  ") || line.empty() || line[0] == ' ') continue;
    const absl::string_view name = line.substr(0, line.find(' '));
    if (name.find('<') == absl::string_view::npos) names.emplace_back(name);
  }
  for (const auto& [name, field] : kVsTimeoutSettings) names.emplace_back(name);
  return names;
}

absl::Status ApplyConfigText(DaemonConfig& c, absl::string_view text, absl::string_view origin) {
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ":", line_no, ": expected 'key = value'"));
    }
    absl::Status s =
        ApplySetting(c, absl::StripAsciiWhitespace(line.substr(0, eq)), line.substr(eq + 1));
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ":", line_no, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonConfig> ParseDaemonArgs(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return absl::CancelledError(DaemonUsage());
    if (arg == "--version") return absl::CancelledError(absl::StrCat("dmpdd ", kVersion, "\n"));
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    size_t eq = arg.find('=');
    if (eq != absl::string_view::npos) {
      flags.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      flags.emplace_back(arg, args[++i]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", arg, " needs a value"));
    }
  }
  DaemonConfig config;
  for (const auto& [key, value] : flags) {
    if (key != "config") continue;
    std::ifstream in(value);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", value));
    std::stringstream text;
    text << in.rdbuf();
    if (absl::Status s = ApplyConfigText(config, text.str(), value); !s.ok()) return s;
  }
  for (const auto& [key, value] : flags) {
    if (key == "config") continue;
    if (absl::Status s = ApplySetting(config, key, value); !s.ok()) return s;
  }
  if (absl::Status s = FinalizeConfig(config); !s.ok()) return s;
  return config;
}

absl::Status FinalizeConfig(DaemonConfig& c) {
  if (c.cluster_reply_delay_ms >= c.cluster_interval_ms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cluster_reply_delay_ms: ", c.cluster_reply_delay_ms,
        " must be shorter than cluster_interval_ms (", c.cluster_interval_ms, ")"));
  }
  if (!c.node_set) return absl::InvalidArgumentError("node: required (this node's number)");
  if (c.interfaces.empty()) {
    return absl::InvalidArgumentError("interfaces: required (at least one LAN interface)");
  }
  if (c.bpf_pin_dir.empty()) c.bpf_pin_dir = absl::StrCat("/sys/fs/bpf/dmpd/node", c.node);
  return absl::OkStatus();
}

std::string DaemonUsage() {
  return R"(usage: dmpdd [--config FILE] [--SETTING VALUE]...
       dmpdd --help | --version
Settings (in the config file as `setting = value`, as flags with dashes or underscores):
  node                     this node's number, 0-65534 (required)
  interfaces               comma-separated LAN interfaces to attach to (required)
  cluster_id               cluster id, frames of other clusters are dropped (default 1)
  control_socket           Unix socket for dmpdctl (default /run/dmpd/dmpdd.sock)
  pipe_socket              Unix socket for applications (libdmpd; default
                           /run/dmpd/dmpdd-pipes.sock), mode 0660
  pipe_group               the group whose members may open pipes (default dmpd; root's
                           group if it does not exist, with a warning)
  max_pipes                pipes open at once on this node (default 64)
  pipe_memory_mb           shared ring memory over all pipes, MiB (default 256)
  pipe_yield_window        frames a lower-priority pipe keeps in flight to a node while a
                           higher one sends, 0-1024, 0 = off (default 4)
  hello_interval_ms        hello period per port, 10-60000 (default 1000)
  ethertype                DMPD EtherType (default 0x88b5)
  filter_other_clusters    drop other clusters' frames in XDP (default true)
  bpf_pin_dir              where maps are pinned (default /sys/fs/bpf/dmpd/node<N>)
  lock_dir                 per-interface lock files (default /run/dmpd/locks)
  log_level                error, warning, info or debug (default info)
  memory_mb                DPDK memory, MiB (default: the ports' mbufs + 64, at least 128)
  mbufs_per_port           packet buffers per port, at least 6144 (default 8192)
  idle_polls_before_sleep  empty polls before the worker sleeps (default 512)
  idle_yield               yield the core between those polls (default true)
  idle_sleep_max_us        longest idle sleep of the worker (default 10000)
  metrics_listen           Prometheus /metrics address:port, or off (default 127.0.0.1:9478)
  sample_interval_ms       monitoring sampling interval (default 1000)
  history_length           samples kept per port and node (default 300)
  port_bandwidth_mbps      link bandwidth for ports reporting no speed, e.g. veth (default none)
  lb_policy                port choice of pipe messages: balanced (the load balancer) or
                           static (the Toeplitz hash alone) (default balanced)
  lb_criterion             what makes a port overloaded: gap (10 % over the mean load) or
                           paper (the balance degree WL, eq. 8) (default gap)
  lb_wl_threshold          WL threshold of lb_criterion=paper (default 1.86)
  vs_service               a virtual service, VIP:PORT/tcp|udp [rr|wrr|lc] (repeatable)
  vs_backend               a backend, VIP:PORT/PROTO ADDRESS:PORT [WEIGHT] (repeatable)
  vs_vdports               the virtual service's vdport range FIRST-LAST (61000-65535)
  vs_max_connections       the virtual service's connection table size (65536)
  vs_health_interval_ms    TCP check of each backend this often; 0: none (1000)
  vs_health_timeout_ms     a check's connect timeout (1000)
  vs_timeout_<state>_s     connection timeouts, seconds: syn_recv (60), established
                           (900), fin_wait (120; after a FIN), close (10; after an RST), udp (300)
  accept_foreign_unicast   take DMPD frames unicast to other MACs, for a device that rewrites
                           MACs (default false: dropped in XDP, counted foreign_unicast)
  allow_generic_xdp        run on ports whose driver has no native XDP, in generic (skb)
                           mode (default false: such ports are refused)
  max_neighbours           neighbour entries (local port, node, port) kept (default 4096)
  control_max_clients      open control connections; the oldest is closed for a new one (default 64)
  metrics_max_clients      open /metrics connections, likewise (default 32)
  client_timeout_ms        a control or metrics client's whole exchange (default 1000)
  cluster_interval_ms      heartbeat cycle of the master, 10-5000 (default 1000)
  cluster_reply_delay_ms   time-sync to heartbeat within a cycle (default half the interval)
  port_down_after          cycles a port may miss the cluster before it is down (default 3)
  node_failed_after        missed responses before a node is failed (default 3)
  master_failed_after      intervals without the master before an election (default 3)
  priority                 election priority 0-255, higher wins (default 100)
  preempt                  a better node takes over a running master; set it cluster-wide
                           (default false)
  rejoin_hold_ms           healthy this long before rejoining after a leave (default 5000)
  leave_when_unhealthy     leave the cluster while the health verdict fails (default true)
  max_loss_percent         health: a port's loss (eq. 2) above this for 3 samples; 0 off
                           (default 50)
  max_memory_percent       health: memory utilisation above this; 0 off (default 95)
  max_cpu_percent          health: CPU utilisation above this for 3 samples; 0 off
                           (default 0: busy-polling workers read 100 %)
  cluster_key_file         shared key: control frames signed and checked (PROTO-4); the file
                           must be accessible by its owner only (default: none, unsigned)
Signals: SIGTERM/SIGINT stop the daemon cleanly; SIGHUP re-reads the config file and applies
log_level and the max_*_percent health limits (other changes need a restart and are logged).
)";
}

}  // namespace dmpd
