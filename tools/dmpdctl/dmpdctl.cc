// SPDX-License-Identifier: BSD-3-Clause
// dmpdctl: asks a running dmpdd over its control socket and prints the answer as tables
// or, with --json, as the daemon's JSON itself. The tables are rendered from that same
// JSON, so the two views cannot disagree.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "userspace/monitor/monitor_views.h"
#include "userspace/monitor/text_table.h"
#include "userspace/xdp/unique_fd.h"

namespace {

using nlohmann::json;

constexpr const char* kDefaultSocket = "/run/dmpd/dmpdd.sock";
// The whole exchange (connect, request, reply) must fit in this: a daemon that does not
// answer in time is stuck or overloaded, and a script that asks it must not hang too.
constexpr double kDefaultTimeoutS = 2.0;

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline` (0 once it has passed), for poll().
int MsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)) : 0;
}

// Waits until fd is ready for `events` or the deadline passes (false).
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n = poll(&p, 1, MsLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

absl::Status NoAnswer(const std::string& socket_path, double timeout_s) {
  return absl::DeadlineExceededError(
      absl::StrFormat("dmpdd at %s did not answer within %g s: is it stuck? check its log",
                      socket_path, timeout_s));
}

absl::StatusOr<json> Ask(const std::string& socket_path, const std::string& command,
                         double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("socket path too long");
  }
  memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  dmpd::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return absl::ErrnoToStatus(errno, "socket");
  // A Unix socket whose listen backlog is full refuses a non-blocking connect with EAGAIN
  // (it has no EINPROGRESS): the daemon is not accepting; try again until the deadline.
  while (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot reach dmpdd at ", socket_path,
                                                     " (is it running? --socket?)"));
    }
    if (MsLeft(deadline) == 0) return NoAnswer(socket_path, timeout_s);
    usleep(5000);
  }
  const std::string request = command + "\n";
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno == EAGAIN) {
      if (!WaitFor(fd.get(), POLLOUT, deadline)) return NoAnswer(socket_path, timeout_s);
    } else if (errno != EINTR) {
      return absl::ErrnoToStatus(errno, "sending the request");
    }
  }
  std::string reply;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN) {
      if (!WaitFor(fd.get(), POLLIN, deadline)) return NoAnswer(socket_path, timeout_s);
    } else if (errno != EINTR) {
      return absl::ErrnoToStatus(errno, "reading the reply");
    }
  }
  json j = json::parse(reply, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::DataLossError("dmpdd sent an answer that is not JSON");
  if (j.is_object() && j.contains("error")) {
    const json& e = j["error"];
    return absl::InvalidArgumentError(e.is_string() ? e.get<std::string>() : e.dump());
  }
  return j;
}

std::string Num(const json& v) { return v.is_number() ? v.dump() : "n/a"; }

// The sum of several counters of `obj`, or "n/a" if any is missing.
std::string Sum(const json& obj, std::initializer_list<const char*> keys) {
  uint64_t total = 0;
  for (const char* k : keys) {
    if (!obj.contains(k) || !obj[k].is_number_unsigned()) return "n/a";
    total += obj[k].get<uint64_t>();
  }
  return std::to_string(total);
}

void PrintStatus(const json& s) {
  std::cout << "node " << s["node"] << "  cluster " << s["cluster_id"] << "  pid " << s["pid"]
            << "  up " << Num(s["uptime_ms"]) << " ms  hello every " << s["hello_interval_ms"]
            << " ms  ethertype " << s["ethertype"].get<std::string>() << "\n\n";
  // Three tables side by side would not fit a terminal: what the port is, what each
  // layer counted (packets / bytes), and where frames were dropped.
  dmpd::TextTable ports({"PORT", "IF", "Q", "MAC", "LINK", "XDP", "PROG", "HELLO TX", "HELLO RX"});
  dmpd::TextTable traffic({"PORT", "IF", "PMD RX pkts/bytes", "PMD TX pkts/bytes",
                           "KERNEL RX pkts/bytes", "KERNEL TX pkts/bytes", "XDP→SOCKET",
                           "XDP→KERNEL"});
  dmpd::TextTable drops({"PORT", "IF", "IMISSED", "SOCKET LOST", "XDP MALFORMED",
                         "XDP OTHER CLUSTER", "XDP NOT FOR NODE", "XDP FOREIGN UCAST",
                         "XDP NO SOCKET",
                         "DAEMON REJECTED",
                         "KERNEL RX DROP"});
  auto both = [](const json& group, const char* packets, const char* bytes) {
    return Num(group[packets]) + " / " + Num(group[bytes]);
  };
  for (const json& p : s["ports"]) {
    const json& x = p["xdp"];
    const std::string index = Num(p["index"]), ifname = p["interface"].get<std::string>();
    ports.Add({index, ifname, Num(p["queue"]), p["mac"].get<std::string>(),
               p["link"].get<std::string>(), p["xdp_mode"].get<std::string>(),
               Num(p["xdp_prog_id"]), Num(p["hellos_sent"]), Num(p["daemon"]["hellos_received"])});
    traffic.Add({index, ifname, both(p["pmd"], "rx_packets", "rx_bytes"),
                 both(p["pmd"], "tx_packets", "tx_bytes"),
                 both(p["kernel"], "rx_packets", "rx_bytes"),
                 both(p["kernel"], "tx_packets", "tx_bytes"),
                 Sum(x, {"redirected_control", "redirected_data"}), Sum(x, {"passed_to_kernel"})});
    uint64_t rejected = 0;
    for (const auto& [reason, n] : p["daemon"]["rejected"].items()) rejected += n.get<uint64_t>();
    drops.Add({index, ifname, Num(p["pmd"]["imissed"]),
               Sum(p["xsk"], {"rx_dropped", "rx_ring_full"}), Sum(x, {"malformed"}),
               Sum(x, {"other_cluster"}), Sum(x, {"not_for_node"}),
               Sum(x, {"foreign_unicast"}), Sum(x, {"no_socket"}),
               std::to_string(rejected),
               Num(p["kernel"]["rx_dropped"])});
  }
  std::cout << ports.Render() << "\n" << traffic.Render() << "\n" << drops.Render() << "\n";
  dmpd::TextTable neigh({"PORT", "IF", "NEIGHBOUR NODE", "NEIGHBOUR PORT", "MAC", "HELLOS",
                         "LAST SEQ", "LAST SEEN (ms ago)"});
  for (const json& p : s["ports"]) {
    for (const json& n : p["neighbours"]) {
      neigh.Add({Num(p["index"]), p["interface"].get<std::string>(), Num(n["node"]), Num(n["port"]),
                 n["mac"].get<std::string>(), Num(n["hellos"]), Num(n["last_sequence"]),
                 Num(n["last_seen_ms_ago"])});
    }
  }
  std::cout << neigh.Render();
}

void PrintNode(const json& view) { std::cout << dmpd::monitor::FormatNodeTable(view); }
void PrintPorts(const json& view) { std::cout << dmpd::monitor::FormatPortsTable(view); }
void PrintHistory(const json& view) { std::cout << dmpd::monitor::FormatPortHistoryTable(view); }

// ---- cluster views, from the daemon's `cluster` JSON (userspace/cluster/cluster_commands.h)

// A field of an object, or null when the object or the field is missing: a daemon older or
// newer than this dmpdctl prints "-" where it differs, never aborts.
const json& Field(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Wire fields are fixed point (ppm, milli-units): shown as %, units with decimals.
std::string Scaled(const json& v, double divisor, int decimals) {
  return v.is_number() ? absl::StrFormat("%.*f", decimals, v.get<double>() / divisor) : "-";
}
std::string PercentPpm(const json& v) { return Scaled(v, 1e4, 1); }
std::string MbpsOf(const json& bits_per_second) { return Scaled(bits_per_second, 1e6, 1); }

std::string Gib(const json& bytes) {
  return bytes.is_number() ? absl::StrFormat("%.1f GiB", bytes.get<double>() / (1ull << 30)) : "-";
}

// NodeHealth (common/node_info.h).
std::string HealthName(const json& v) {
  if (!v.is_number_unsigned()) return "-";
  switch (v.get<unsigned>()) {
    case 1: return "ok";
    case 2: return "degraded";
    case 3: return "leaving";
  }
  return v.dump();
}

// `left (reason)` for a member that left, its state otherwise.
std::string MemberStateText(const json& m) {
  const std::string state = Text(Field(m, "state"));
  if (state == "left" && !Field(m, "reason").is_null()) {
    return absl::StrCat(state, " (", Text(Field(m, "reason")), ")");
  }
  return state;
}

void PrintCluster(const json& c) {
  const json& master = Field(c, "master");
  std::string me = absl::StrCat("node ", Text(Field(c, "node")), "  role ", Text(Field(c, "role")));
  if (Text(Field(c, "role")) == "left") {
    absl::StrAppend(&me, " (", Text(Field(c, "left_reason")),
                    Field(c, "left_note").is_string()
                        ? absl::StrCat(": ", Field(c, "left_note").get<std::string>())
                        : "",
                    ")");
  }
  std::cout << "master " << (master.is_null() ? "none" : Text(master)) << "  term "
            << Text(Field(c, "term")) << "  cycle " << Text(Field(c, "cycle")) << "  " << me
            << "  priority " << Text(Field(c, "priority")) << "  interval "
            << Text(Field(c, "interval_ms")) << " ms\n";
  if (Field(c, "number_in_conflict").is_boolean() && Field(c, "number_in_conflict").get<bool>()) {
    std::cout << "CONFLICT: another daemon answers with this node number; this one stays out "
                 "of the cluster until the numbers are fixed\n";
  }
  std::cout << "\n";
  // Members: the master's verdicts as this node last heard them.
  dmpd::TextTable members({"NODE", "STATE", "AGE ms", "LAST CYCLE", "PORTS UP"});
  // Table 3: one row per node (SCORE, UCPU, LCPU, LIO, SMEM, UMEM and the rest).
  dmpd::TextTable nodes({"NODE", "CORES", "CPU%", "LOAD 1/5/15", "IO%", "MEMORY", "MEM%",
                         "TEMP C", "PROCS", "THREADS", "NET Mb/s", "NET LOAD%", "HEALTH"});
  // Table 4: one row per port of every node.
  dmpd::TextTable ports({"NODE", "PORT", "MAC", "UP", "STATE", "BW Mb/s", "RX pkts", "TX pkts",
                         "RX bytes", "TX bytes", "ERRORS", "DROPS", "OVERFLOWS", "UTIL%",
                         "LOSS%", "LOAD%"});
  for (const json& m : Field(c, "members")) {
    const std::string node = Text(Field(m, "node"));
    const json& member_ports = Field(m, "ports");
    size_t up = 0;
    for (const json& p : member_ports) up += Field(p, "up").is_boolean() && Field(p, "up").get<bool>();
    const std::string master_mark = !master.is_null() && Field(m, "node") == master ? "*" : "";
    members.Add({node + master_mark, MemberStateText(m), Text(Field(m, "age_ms")),
                 Text(Field(m, "last_cycle")),
                 member_ports.is_array() ? absl::StrCat(up, "/", member_ports.size()) : "-"});
    const json& i = Field(m, "info");
    const json& l1 = Field(i, "load1_milli");
    nodes.Add({node, Text(Field(i, "cores")), PercentPpm(Field(i, "cpu_util_ppm")),
               l1.is_null() ? "-"
                            : absl::StrCat(Scaled(l1, 1e3, 2), "/",
                                           Scaled(Field(i, "load5_milli"), 1e3, 2), "/",
                                           Scaled(Field(i, "load15_milli"), 1e3, 2)),
               PercentPpm(Field(i, "io_util_ppm")), Gib(Field(i, "mem_bytes")),
               PercentPpm(Field(i, "mem_util_ppm")), Scaled(Field(i, "temperature_mc"), 1e3, 1),
               Text(Field(i, "processes")), Text(Field(i, "threads")),
               MbpsOf(Field(i, "net_bps")), PercentPpm(Field(i, "net_load_ppm")),
               HealthName(Field(i, "health"))});
    for (const json& p : member_ports) {
      const json& is_up = Field(p, "up");
      ports.Add({node, Text(Field(p, "port")), Text(Field(p, "mac")),
                 is_up.is_boolean() ? (is_up.get<bool>() ? "1" : "0") : "-",
                 Text(Field(p, "state")), MbpsOf(Field(p, "speed_bps")),
                 Text(Field(p, "rx_packets")), Text(Field(p, "tx_packets")),
                 Text(Field(p, "rx_bytes")), Text(Field(p, "tx_bytes")), Text(Field(p, "errors")),
                 Text(Field(p, "drops")), Text(Field(p, "queue_overflows")),
                 PercentPpm(Field(p, "util_ppm")), PercentPpm(Field(p, "loss_ppm")),
                 PercentPpm(Field(p, "load_ppm"))});
    }
  }
  std::cout << members.Render() << "(* master)\n\n"
            << nodes.Render() << "\n"
            << ports.Render();
}

void PrintLeave(const json& r) {
  const std::string note = Text(Field(r, "note"));
  std::cout << "role " << Text(Field(r, "role")) << ": left the cluster ("
            << Text(Field(r, "reason")) << (note.empty() || note == "-" ? "" : ": " + note)
            << "); `dmpdctl join` to rejoin\n";
}

void PrintJoin(const json& r) {
  std::cout << "role " << Text(Field(r, "role")) << ": rejoining the cluster\n";
}

void PrintNeighbours(const json& r) {
  std::cout << "port " << Text(Field(r, "port")) << "  neighbours " << Text(Field(r, "total"))
            << "  from " << Text(Field(r, "offset")) << "\n";
  dmpd::TextTable t({"NODE", "PORT", "MAC", "HELLOS", "LAST SEQ", "LAST SEEN (ms ago)"});
  for (const json& n : Field(r, "neighbours")) {
    t.Add({Text(Field(n, "node")), Text(Field(n, "port")), Text(Field(n, "mac")),
           Text(Field(n, "hellos")), Text(Field(n, "last_sequence")),
           Text(Field(n, "last_seen_ms_ago"))});
  }
  std::cout << t.Render();
}

void PrintPipes(const json& r) {
  std::cout << "pipes " << Field(r, "pipes").size() << " of " << Text(Field(r, "max_pipes"))
            << "  sessions " << Text(Field(r, "sessions")) << "  ring memory "
            << Text(Field(r, "memory_bytes")) << " of " << Text(Field(r, "memory_limit_bytes"))
            << " bytes  routes " << Text(Field(r, "routes")) << "\n";
  dmpd::TextTable t({"PIPE", "STATE", "PID", "PRIO", "K", "RATE B/s", "RING", "TX FILL",
                     "RX FILL", "SENT", "RECEIVED", "DROPPED", "DUPS", "DEGRADED"});
  for (const json& p : Field(r, "pipes")) {
    uint64_t dropped = 0;
    for (const char* k : {"dropped_rx_full", "dropped_no_route", "dropped_too_large",
                          "dropped_no_buffer"}) {
      dropped += Field(p, k).is_number_unsigned() ? Field(p, k).get<uint64_t>() : 0;
    }
    t.Add({Text(Field(p, "pipe")), Text(Field(p, "state")), Text(Field(p, "pid")),
           Text(Field(p, "priority")), Text(Field(p, "copies")),
           Text(Field(p, "rate_bytes_per_s")), Text(Field(p, "ring_bytes")),
           Text(Field(p, "tx_fill_bytes")), Text(Field(p, "rx_fill_bytes")),
           Text(Field(p, "sent_messages")), Text(Field(p, "received_messages")),
           std::to_string(dropped), Text(Field(p, "duplicates")),
           Text(Field(p, "degraded_copies"))});
  }
  std::cout << t.Render();
  const json& e = Field(r, "engine");
  std::cout << "frames for no open pipe " << Text(Field(e, "no_pipe")) << ", bad data frames "
            << Text(Field(e, "bad_data")) << ", reassembled " << Text(Field(e, "messages_reassembled"))
            << "\n";
}

std::string Fixed3(const json& v) {
  return v.is_number() ? absl::StrFormat("%.3f", v.get<double>()) : Text(v);
}

void PrintLbPorts(const std::string& title, const json& side) {
  std::cout << title << ": mean load " << Fixed3(Field(side, "mean_load")) << "  s "
            << Fixed3(Field(side, "stddev")) << "  WL " << Fixed3(Field(side, "wl")) << "\n";
  dmpd::TextTable t({"PORT", "MAC", "AVAILABLE", "LOAD", "OVERLOADED"});
  for (const json& p : Field(side, "ports")) {
    t.Add({Text(Field(p, "port")), Text(Field(p, "mac")),
           Field(p, "available") == true ? "yes" : "no", Fixed3(Field(p, "load")),
           Field(p, "overloaded") == true ? "yes" : "no"});
  }
  std::cout << t.Render();
}

void PrintLb(const json& r) {
  std::cout << "policy " << Text(Field(r, "policy")) << "  criterion "
            << Text(Field(Field(r, "criterion"), "name")) << "  period " << Text(Field(r, "period"))
            << "  fallbacks " << Text(Field(r, "fallbacks")) << "\n";
  if (!r.contains("local")) {
    std::cout << "(no balancing period yet)\n";
    return;
  }
  const json& c = Field(r, "counters");
  std::cout << "decisions " << Text(Field(c, "decisions")) << "  new keys "
            << Text(Field(c, "new_keys")) << "  re-picks " << Text(Field(c, "repicks"))
            << "  reorders " << Text(Field(c, "reorders")) << "  no send port "
            << Text(Field(c, "no_send_port")) << "  no receive port "
            << Text(Field(c, "no_receive_port")) << "\n";
  PrintLbPorts("local ports", Field(r, "local"));
  for (const json& d : Field(r, "destinations")) {
    PrintLbPorts(absl::StrCat("node ", Text(Field(d, "node")), " ports"), d);
  }
  std::cout << "active keys " << Text(Field(r, "active_keys_total")) << "\n";
  dmpd::TextTable t({"SRC NODE", "DST NODE", "SRC PIPE", "DST PIPE", "TYPE", "SEND PORT",
                     "RECEIVE PORT", "HELD (periods)", "Mbit/s"});
  for (const json& k : Field(r, "active_keys")) {
    t.Add({Text(Field(k, "src_node")), Text(Field(k, "dst_node")), Text(Field(k, "src_pipe")),
           Text(Field(k, "dst_pipe")), Text(Field(k, "type")), Text(Field(k, "send_port")),
           Text(Field(k, "receive_port")),
           absl::StrCat(Text(Field(k, "send_held_periods")), "/",
                        Text(Field(k, "receive_held_periods"))),
           Field(k, "bits_per_second").is_number()
               ? absl::StrFormat("%.2f", Field(k, "bits_per_second").get<double>() / 1e6)
               : "-"});
  }
  std::cout << t.Render();
}

void PrintVs(const json& r) {
  const json& conns = Field(r, "connections");
  const json& vd = Field(r, "vdports");
  std::cout << "connections " << Text(Field(conns, "in_use")) << " of "
            << Text(Field(conns, "capacity")) << "  vdports " << Text(Field(vd, "first")) << "-"
            << Text(Field(vd, "last")) << " (" << Text(Field(vd, "ports_in_use"))
            << " in use; each serves one connection per backend)  held frames "
            << Text(Field(r, "held_now")) << "\n";
  dmpd::TextTable t({"SERVICE", "SCHED", "STATE", "BACKEND", "WEIGHT", "HEALTH", "CONNECTIONS"});
  for (const json& s : Field(r, "services")) {
    const std::string state = Field(s, "draining") == true ? "draining" : "active";
    t.Add({Text(Field(s, "service")), Text(Field(s, "scheduler")), state, "", "",
           "", Text(Field(s, "connections"))});
    for (const json& b : Field(s, "backends")) {
      const std::string health = Field(b, "checked") != true ? "-"
                                 : Field(b, "healthy") == true ? "up"
                                                               : "DOWN";
      t.Add({"", "", Field(b, "draining") == true ? "draining" : "", Text(Field(b, "address")),
             Text(Field(b, "weight")), health, Text(Field(b, "connections"))});
    }
  }
  std::cout << t.Render();
  std::vector<std::string> nonzero;
  for (const auto& [name, v] : Field(r, "counters").items()) {
    if (v.is_number() && v.get<uint64_t>() != 0) nonzero.push_back(name + "=" + Text(v));
  }
  for (const auto& [name, v] : Field(Field(r, "counters"), "parse_errors").items()) {
    if (v.is_number() && v.get<uint64_t>() != 0) nonzero.push_back("parse." + name + "=" + Text(v));
  }
  std::cout << "counters: " << (nonzero.empty() ? "none" : absl::StrJoin(nonzero, " ")) << "\n";
  // What goes wrong around the packets, when something does.
  std::vector<std::string> trouble;
  for (const char* section : {"resolver", "steering"}) {
    for (const auto& [name, v] : Field(r, section).items()) {
      if (name != "resolved" && name != "redirected" && v.is_number() && v.get<uint64_t>() != 0) {
        trouble.push_back(std::string(section) + "." + name + "=" + Text(v));
      }
    }
  }
  for (const char* name : {"worker_timeouts", "steering_errors"}) {
    if (Field(r, name).is_number() && Field(r, name).get<uint64_t>() != 0) {
      trouble.push_back(std::string(name) + "=" + Text(Field(r, name)));
    }
  }
  if (!trouble.empty()) std::cout << "attention: " << absl::StrJoin(trouble, " ") << "\n";
}

void PrintPortBandwidth(const json& r) {
  const json& mbps = Field(r, "bandwidth_mbps");
  std::cout << "port " << Text(Field(r, "port")) << ": bandwidth "
            << (mbps.is_number() ? Text(mbps) + " Mbit/s, set by hand"
                                 : std::string("from the link speed or the configuration"))
            << "\n";
}

struct Command {
  const char* name;
  const char* operands;  // for the usage text
  const char* help;
  size_t min_args, max_args;  // how many operands follow the command name
  std::function<void(const json&)> print;
};

constexpr size_t kAnyNumber = SIZE_MAX;

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"status", "", "ports, their counters (PMD, XDP, kernel, daemon) and neighbours", 0, 0,
       PrintStatus},
      {"node", "", "this node's monitoring data (paper Table 3)", 0, 0, PrintNode},
      {"ports", "", "per-port state, rates, utilisation, loss and load (paper Table 4)", 0, 0,
       PrintPorts},
      {"history", "PORT", "recent samples of one port", 1, 1, PrintHistory},
      {"cluster", "",
       "master, term, cycle, role; every member's state and age; Tables 3 and 4 of every node",
       0, 0, PrintCluster},
      {"neighbours", "PORT [OFFSET]", "the neighbours heard on a port (64 from OFFSET)", 1, 2,
       PrintNeighbours},
      {"leave", "[--reason TEXT...]", "leave the cluster by hand (maintenance) until `join`", 0,
       kAnyNumber, PrintLeave},
      {"join", "", "rejoin the cluster after `leave`", 0, 0, PrintJoin},
      {"pipes", "", "every open pipe: owner, priority, k, rate, rings, traffic and drops", 0, 0,
       PrintPipes},
      {"lb", "", "the load balancer: port loads, WL, re-picks, reorders, ports per active key",
       0, 0, PrintLb},
      {"vs",
       "[add-service VIP:PORT/PROTO [rr|wrr|lc] | remove-service VIP:PORT/PROTO | "
       "add-backend VIP:PORT/PROTO ADDRESS:PORT [WEIGHT] | remove-backend VIP:PORT/PROTO "
       "ADDRESS:PORT]",
       "the virtual service: services, backends (weight, health, connections), table fill, "
       "vdports, counters; and changes to it",
       0, 4, PrintVs},
      {"port-bandwidth", "PORT MBPS|default",
       "a port's bandwidth for utilisation (eq. 3), over its link speed", 2, 2,
       PrintPortBandwidth},
  };
  return kCommands;
}

int Usage(int rc) {
  std::ostream& out = rc == 0 ? std::cout : std::cerr;
  out << "usage: dmpdctl [--socket PATH] [--timeout SECONDS] COMMAND [OPERAND...] [--json]\n"
         "  --socket PATH      dmpdd control socket (default "
      << kDefaultSocket
      << ")\n  --timeout SECONDS  give up if dmpdd has not answered by then (default "
      << kDefaultTimeoutS << ")\n  --json             print the daemon's JSON\ncommands:\n";
  dmpd::TextTable t({"", "", ""});
  for (const Command& c : Commands()) t.Add({" ", absl::StrCat(c.name, " ", c.operands), c.help});
  const std::string table = t.Render();
  out << table.substr(table.find('\n') + 1);  // without the empty header row
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path = kDefaultSocket;
  std::string command;
  std::vector<std::string> operands;
  bool as_json = false;
  double timeout_s = kDefaultTimeoutS;
  auto parse_timeout = [&timeout_s](const std::string& v) {
    char* end = nullptr;
    const double t = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(t) || t <= 0 || t > 3600) return false;
    timeout_s = t;
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      as_json = true;
    } else if (a == "--timeout" || a.rfind("--timeout=", 0) == 0) {
      const bool inline_value = a != "--timeout";
      if (!inline_value && i + 1 >= argc) {
        std::cerr << "dmpdctl: --timeout needs SECONDS\n";
        return Usage(2);
      }
      const std::string v = inline_value ? a.substr(10) : argv[++i];
      if (!parse_timeout(v)) {
        std::cerr << "dmpdctl: --timeout '" << v
                  << "': expected seconds, more than 0 and at "
                     "most 3600\n";
        return Usage(2);
      }
    } else if (a == "--socket" && i + 1 < argc) {
      socket_path = argv[++i];
    } else if (a.rfind("--socket=", 0) == 0) {
      socket_path = a.substr(9);
    } else if (a == "--help" || a == "-h") {
      return Usage(0);
    } else if (command == "leave" && operands.empty() && a == "--reason") {
      // The reason is free text: every word after --reason (but --json) is part of it,
      // sent as the daemon wants it: `leave --reason WORDS...`.
      operands.push_back(a);
      for (++i; i < argc; ++i) {
        if (std::string(argv[i]) == "--json") {
          as_json = true;
        } else {
          operands.push_back(argv[i]);
        }
      }
      if (operands.size() < 2) {
        std::cerr << "dmpdctl: leave --reason needs TEXT\n";
        return Usage(2);
      }
    } else if (command.empty() && a[0] != '-') {
      command = a;
    } else if (!command.empty() && a[0] != '-') {
      operands.push_back(a);
    } else {
      std::cerr << "dmpdctl: unexpected argument '" << a << "'\n";
      return Usage(2);
    }
  }
  if (command.empty()) return Usage(2);
  const Command* cmd = nullptr;
  for (const Command& c : Commands()) {
    if (command == c.name) cmd = &c;
  }
  if (cmd == nullptr) {
    std::cerr << "dmpdctl: unknown command '" << command << "'\n";
    return Usage(2);
  }
  if (operands.size() < cmd->min_args || operands.size() > cmd->max_args) {
    std::cerr << "dmpdctl: usage: " << command << " " << cmd->operands << "\n";
    return Usage(2);
  }
  if (command == "leave" && !operands.empty() && operands[0] != "--reason") {
    std::cerr << "dmpdctl: usage: leave [--reason TEXT...]\n";
    return Usage(2);
  }
  std::string request = command;
  for (const std::string& o : operands) {
    // One request is one line: a line break in an operand would end it early.
    if (o.find_first_of("\r\n") != std::string::npos) {
      std::cerr << "dmpdctl: an operand may not contain a line break\n";
      return 2;
    }
    request += " " + o;
  }
  auto reply = Ask(socket_path, request, timeout_s);
  if (!reply.ok()) {
    std::cerr << "dmpdctl: " << reply.status().message() << "\n";
    return 1;
  }
  if (as_json) {
    std::cout << reply->dump(2) << "\n";
  } else {
    cmd->print(*reply);
  }
  return 0;
}
