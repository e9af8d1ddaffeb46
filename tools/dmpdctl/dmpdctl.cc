// SPDX-License-Identifier: BSD-3-Clause
// dmpdctl: asks a running dmpdd over its control socket and prints the answer as tables
// or, with --json, as the daemon's JSON itself. The tables are rendered from that same
// JSON, so the two views cannot disagree.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "userspace/cli/closest_name.h"
#include "userspace/cli/version.h"
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

// `decimals` places, never "-0.000": a value a hair below zero is zero at that precision.
std::string Rounded(double v, int decimals) {
  std::string out = absl::StrFormat("%.*f", decimals, v);
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);
  return out;
}

// A number of the daemon's JSON in a table: integers whole; a fraction to 3 places at most,
// without trailing zeros (0.1 + 0.2 prints as 0.3, not 0.30000000000000004).
std::string Number(const json& v) {
  if (v.is_number_integer()) return v.dump();
  std::string out = Rounded(v.get<double>(), 3);
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out;
}

std::string Num(const json& v) { return v.is_number() ? Number(v) : "n/a"; }

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
  std::cout << "node " << Num(s["node"]) << "  cluster " << Num(s["cluster_id"]) << "  pid "
            << Num(s["pid"]) << "  up " << Num(s["uptime_ms"]) << " ms  hello every "
            << Num(s["hello_interval_ms"]) << " ms  ethertype " << s["ethertype"].get<std::string>()
            << "\n\n";
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
  if (v.is_number()) return Number(v);
  return v.dump();
}

// Wire fields are fixed point (ppm, milli-units): shown as %, units with decimals.
std::string Scaled(const json& v, double divisor, int decimals) {
  return v.is_number() ? Rounded(v.get<double>() / divisor, decimals) : "-";
}
std::string PercentPpm(const json& v) { return Scaled(v, 1e4, 1); }
std::string MbpsOf(const json& bits_per_second) { return Scaled(bits_per_second, 1e6, 1); }

std::string Gib(const json& bytes) {
  return bytes.is_number() ? Rounded(bytes.get<double>() / (1ull << 30), 1) + " GiB" : "-";
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

// A pipe's drops of every kind, summed.
std::string PipeDropped(const json& p) {
  uint64_t dropped = 0;
  for (const char* k :
       {"dropped_rx_full", "dropped_no_route", "dropped_too_large", "dropped_no_buffer"}) {
    dropped += Field(p, k).is_number_unsigned() ? Field(p, k).get<uint64_t>() : 0;
  }
  return std::to_string(dropped);
}

// "12 s ago" for a Unix time in ms, by this host's clock (the daemon's is the same host's).
std::string Ago(const json& unix_ms) {
  if (!unix_ms.is_number()) return "-";
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const double s = std::max(0.0, double(now_ms - unix_ms.get<int64_t>()) / 1e3);
  return s < 120 ? absl::StrFormat("%.0f s ago", s) : absl::StrFormat("%.0f min ago", s / 60);
}

void PrintPipes(const json& r) {
  std::cout << "pipes " << Field(r, "pipes").size() << " of " << Text(Field(r, "max_pipes"))
            << "  sessions " << Text(Field(r, "sessions")) << "  ring memory "
            << Text(Field(r, "memory_bytes")) << " of " << Text(Field(r, "memory_limit_bytes"))
            << " bytes  routes " << Text(Field(r, "routes")) << "\n";
  dmpd::TextTable t({"PIPE", "STATE", "PID", "PRIO", "K", "RATE B/s", "RING", "TX FILL",
                     "RX FILL", "SENT", "RECEIVED", "DROPPED", "DUPS", "DEGRADED"});
  for (const json& p : Field(r, "pipes")) {
    t.Add({Text(Field(p, "pipe")), Text(Field(p, "state")), Text(Field(p, "pid")),
           Text(Field(p, "priority")), Text(Field(p, "copies")),
           Text(Field(p, "rate_bytes_per_s")), Text(Field(p, "ring_bytes")),
           Text(Field(p, "tx_fill_bytes")), Text(Field(p, "rx_fill_bytes")),
           Text(Field(p, "sent_messages")), Text(Field(p, "received_messages")),
           PipeDropped(p), Text(Field(p, "duplicates")), Text(Field(p, "degraded_copies"))});
  }
  std::cout << t.Render();
  const json& closed = Field(r, "closed");
  if (closed.is_array() && !closed.empty()) {
    std::cout << "\nrecently closed (the last " << Text(Field(r, "closed_kept"))
              << " kept, newest first):\n";
    dmpd::TextTable c({"PIPE", "PID", "CLOSED", "BY", "PRIO", "K", "SENT", "RECEIVED",
                       "DROPPED", "DUPS", "DEGRADED"});
    for (const json& p : closed) {
      c.Add({Text(Field(p, "pipe")), Text(Field(p, "pid")), Ago(Field(p, "closed_unix_ms")),
             Text(Field(p, "closed_by")), Text(Field(p, "priority")), Text(Field(p, "copies")),
             Text(Field(p, "sent_messages")), Text(Field(p, "received_messages")),
             PipeDropped(p), Text(Field(p, "duplicates")), Text(Field(p, "degraded_copies"))});
    }
    std::cout << c.Render();
  }
  const json& e = Field(r, "engine");
  std::cout << "frames for no open pipe " << Text(Field(e, "no_pipe")) << ", bad data frames "
            << Text(Field(e, "bad_data")) << ", reassembled " << Text(Field(e, "messages_reassembled"))
            << "\n";
}

std::string Fixed3(const json& v) { return v.is_number() ? Rounded(v.get<double>(), 3) : Text(v); }

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
               ? Rounded(Field(k, "bits_per_second").get<double>() / 1e6, 2)
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

// ---- the command line. One table of options and one of commands make the parser, its
// checks and the help (STYLE.md 15), so a command cannot be accepted yet undocumented.

// Every line of help fits a terminal this wide: a column of names as wide as the longest
// usage line (the `vs` forms) pushed the descriptions past column 170.
constexpr size_t kHelpWidth = 100;

struct Invocation {
  std::string socket_path = kDefaultSocket;
  double timeout_s = kDefaultTimeoutS;
  bool as_json = false;
  bool help = false;
  bool version = false;
  std::optional<std::string> command;
  std::vector<std::string> operands;
};

struct Option {
  std::vector<std::string> names;  // the long name first, then any short alias
  const char* value = nullptr;     // what the value is, for the help; nullptr: a flag
  std::string help;
  // Takes the option's value ("" for a flag); a message for the operator if it is wrong.
  std::function<std::optional<std::string>(Invocation&, const std::string&)> set;
};

using OptionError = std::optional<std::string>;

OptionError SetSocket(Invocation& in, const std::string& path) {
  if (path.empty()) return "--socket: PATH is empty";
  in.socket_path = path;
  return std::nullopt;
}

OptionError SetTimeout(Invocation& in, const std::string& v) {
  char* end = nullptr;
  const double t = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(t) || t <= 0 || t > 3600) {
    return absl::StrCat("--timeout '", v, "': expected seconds, more than 0 and at most 3600");
  }
  in.timeout_s = t;
  return std::nullopt;
}

// An option without a value that sets `flag`.
std::function<OptionError(Invocation&, const std::string&)> Flag(bool Invocation::*flag) {
  return [flag](Invocation& in, const std::string&) -> OptionError {
    in.*flag = true;
    return std::nullopt;
  };
}

const std::vector<Option>& Options() {
  static const std::vector<Option> kOptions = {
      {.names = {"--socket"},
       .value = "PATH",
       .help = absl::StrCat("dmpdd's control socket (default ", kDefaultSocket, ")"),
       .set = SetSocket},
      {.names = {"--timeout"},
       .value = "SECONDS",
       .help =
           absl::StrFormat("give up if dmpdd has not answered by then (default %g, at most 3600)",
                           kDefaultTimeoutS),
       .set = SetTimeout},
      {.names = {"--json"},
       .help = "print the daemon's JSON instead of tables",
       .set = Flag(&Invocation::as_json)},
      {.names = {"--version"},
       .help = "print dmpdctl's version",
       .set = Flag(&Invocation::version)},
      {.names = {"--help", "-h"},
       .help = "this help; after a COMMAND, that command's",
       .set = Flag(&Invocation::help)},
  };
  return kOptions;
}

std::vector<std::string> OptionNames() {
  std::vector<std::string> names;
  for (const Option& o : Options()) names.insert(names.end(), o.names.begin(), o.names.end());
  return names;
}

struct Operand {
  const char* name;
  const char* help;
};

struct Command {
  const char* name;
  std::vector<const char*> forms = {""};  // the operands of each form: one usage line each
  const char* summary;                    // its line in `dmpdctl --help`, after the name: one line
  const char* details = "";               // more for `dmpdctl help COMMAND`
  std::vector<Operand> operands = {};
  size_t min_args = 0, max_args = 0;                 // how many operands follow the command name
  std::function<void(const json&)> print = nullptr;  // empty: dmpdctl answers itself (help)
};

constexpr size_t kAnyNumber = SIZE_MAX;

const Operand kPortOperand = {
    "PORT", "a port of this node: its index (0, 1, ..., as `status` lists them) or its name"};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {.name = "status",
       .summary = "ports, their counters (PMD, XDP, kernel, daemon) and neighbours",
       .details = "Three tables of the ports (what each is, what each layer counted, where "
                  "frames were dropped), then the neighbours heard on each port, 64 per port "
                  "(`neighbours` shows the rest).",
       .print = PrintStatus},
      {.name = "node",
       .summary = "this node's monitoring data (paper Table 3)",
       .details = "CPU, load, memory, temperature, I/O and network of this node, and the "
                  "health checks that failed, if any.",
       .print = PrintNode},
      {.name = "ports",
       .summary = "per-port state, rates, utilisation, loss and load (paper Table 4)",
       .details = "A port's bandwidth BW (eq. 3) is its link's speed or, marked *, the "
                  "configuration's port_bandwidth_mbps or what `dmpdctl port-bandwidth` set.",
       .print = PrintPorts},
      {.name = "history",
       .forms = {"PORT"},
       .summary = "recent samples of one port",
       .operands = {kPortOperand},
       .min_args = 1,
       .max_args = 1,
       .print = PrintHistory},
      {.name = "cluster",
       .summary = "master, term, cycle, role; members' state; Tables 3 and 4 of every node",
       .details = "The cluster as this node last heard it from the master: every member's "
                  "state and age, and the monitoring data each node sent (paper Tables 3 and "
                  "4).",
       .print = PrintCluster},
      {.name = "neighbours",
       .forms = {"PORT [OFFSET]"},
       .summary = "the neighbours heard on a port, 64 at a time",
       .operands = {kPortOperand,
                    {"OFFSET", "the first neighbour shown, counting from 0 (default 0)"}},
       .min_args = 1,
       .max_args = 2,
       .print = PrintNeighbours},
      {.name = "leave",
       .forms = {"[--reason TEXT...]"},
       .summary = "leave the cluster by hand (maintenance) until `join`",
       .details = "The node stops taking part in the cluster; the others see it leave, with "
                  "the reason.",
       .operands = {{"TEXT", "why, for the others and the logs: every word after --reason"}},
       .max_args = kAnyNumber,
       .print = PrintLeave},
      {.name = "join", .summary = "rejoin the cluster after `leave`", .print = PrintJoin},
      {.name = "pipes",
       .summary = "every open pipe: owner, priority, k, rate, rings, traffic and drops",
       .print = PrintPipes},
      {.name = "lb",
       .summary = "the load balancer: port loads, WL, re-picks, reorders, ports per active key",
       .details = "Loads are fractions of a link (1 = full). WL is the balance degree of eq. "
                  "(8); it is 0 while the ports' loads differ by less than 0.001 "
                  "(docs/lb.md).",
       .print = PrintLb},
      {.name = "vs",
       .forms = {"", "add-service VIP:PORT/PROTO [rr|wrr|lc]", "remove-service VIP:PORT/PROTO",
                 "add-backend VIP:PORT/PROTO ADDRESS:PORT [WEIGHT]",
                 "remove-backend VIP:PORT/PROTO ADDRESS:PORT"},
       .summary = "the virtual service: services, backends, connections; and changes to it",
       .details = "Without operands: services, backends (weight, health, connections), table "
                  "fill, vdports and counters. The other forms change the service at run time "
                  "without dropping connections; a removed backend or service drains: it takes "
                  "no new connection, and its connections go on until they end or time out.",
       .operands = {{"VIP:PORT/PROTO", "the service: an address of this node, a port, tcp or udp"},
                    {"rr|wrr|lc",
                     "the scheduler: round robin (default), weighted round robin, "
                     "least connections"},
                    {"ADDRESS:PORT", "a backend's address and port"},
                    {"WEIGHT", "the backend's weight for wrr (default 1)"}},
       .max_args = 4,
       .print = PrintVs},
      {.name = "port-bandwidth",
       .forms = {"PORT MBPS|default"},
       .summary = "set a port's bandwidth for utilisation (eq. 3)",
       .details = "The bandwidth set wins over the link's speed (a switch port or a shaper may "
                  "be slower than the NIC) from the next sample on; `default` goes back to the "
                  "link's speed, or the configuration's port_bandwidth_mbps for a link that "
                  "reports none.",
       .operands = {kPortOperand, {"MBPS", "Mbit/s, 1 to 10000000"}},
       .min_args = 2,
       .max_args = 2,
       .print = PrintPortBandwidth},
      {.name = "help",
       .forms = {"[COMMAND]"},
       .summary = "this help, or one command's operands and details",
       .operands = {{"COMMAND", "a command of the list in `dmpdctl --help`"}},
       .max_args = 1},
  };
  return kCommands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::vector<std::string> CommandNames() {
  std::vector<std::string> names;
  for (const Command& c : Commands()) names.push_back(c.name);
  return names;
}

// Display width: counts UTF-8 lead bytes.
size_t Columns(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// `text` in lines of at most `width` columns, broken between words (a longer word stays
// whole on a line of its own).
std::vector<std::string> Wrap(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find(' ', at), text.size());
    const std::string_view word = text.substr(at, end - at);
    at = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && Columns(line) + 1 + Columns(word) > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

// "  NAME  text" per row, the names padded to the widest, each text wrapped under itself.
std::string TwoColumns(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t name_width = 0;
  for (const auto& [name, text] : rows) name_width = std::max(name_width, Columns(name));
  const size_t indent = 2 + name_width + 2;
  std::string out;
  for (const auto& [name, text] : rows) {
    // The names are ours and short (operands, options, commands: 20 columns at most).
    std::vector<std::string> lines = Wrap(text, kHelpWidth - std::min(indent, kHelpWidth - 20));
    if (lines.empty()) lines.emplace_back();
    absl::StrAppend(&out, "  ", name, std::string(name_width - Columns(name) + 2, ' '), lines[0],
                    "\n");
    for (size_t i = 1; i < lines.size(); ++i) {
      absl::StrAppend(&out, std::string(indent, ' '), lines[i], "\n");
    }
  }
  return out;
}

std::string Paragraph(std::string_view text) {
  std::string out;
  for (const std::string& line : Wrap(text, kHelpWidth)) absl::StrAppend(&out, line, "\n");
  return out;
}

std::string OptionsHelp() {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Option& o : Options()) {
    std::vector<std::string> names(o.names.rbegin(), o.names.rend());  // -h, --help
    rows.emplace_back(
        absl::StrCat(absl::StrJoin(names, ", "), o.value ? " " : "", o.value ? o.value : ""),
        o.help);
  }
  return TwoColumns(rows);
}

// `dmpdctl --help`: the options and one line per command.
std::string Overview() {
  std::vector<std::pair<std::string, std::string>> commands;
  for (const Command& c : Commands()) commands.emplace_back(c.name, c.summary);
  return absl::StrCat(
      "usage: dmpdctl [OPTION...] COMMAND [OPERAND...]\n",
      Paragraph("Asks the dmpdd of this host over its control socket and prints its answer as "
                "tables, or as the daemon's JSON."),
      "\noptions:\n", OptionsHelp(), "\ncommands:\n", TwoColumns(commands), "\n",
      Paragraph("`dmpdctl help COMMAND` or `dmpdctl COMMAND --help` shows a command's operands "
                "and what it prints."));
}

// The usage lines of one command, one per form.
std::string CommandUsage(const Command& c) {
  const std::string kFirst = "usage: ", kNext = "       ";  // the forms line up
  std::string out;
  for (size_t i = 0; i < c.forms.size(); ++i) {
    const std::string form =
        absl::StrCat("dmpdctl [OPTION...] ", c.name, *c.forms[i] ? " " : "", c.forms[i]);
    // A form longer than the terminal continues, indented, under itself.
    const std::vector<std::string> parts = Wrap(form, kHelpWidth - kNext.size() - 2);
    for (size_t j = 0; j < parts.size(); ++j) {
      absl::StrAppend(&out, i == 0 && j == 0 ? kFirst : kNext, j == 0 ? "" : "  ", parts[j], "\n");
    }
  }
  return out;
}

// `dmpdctl help COMMAND`: its forms, what it does, its operands.
std::string CommandHelp(const Command& c) {
  std::string out = absl::StrCat(CommandUsage(c), "\n", Paragraph(c.summary));
  if (*c.details) absl::StrAppend(&out, "\n", Paragraph(c.details));
  if (!c.operands.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const Operand& o : c.operands) rows.emplace_back(o.name, o.help);
    absl::StrAppend(&out, "\noperands:\n", TwoColumns(rows));
  }
  if (c.print) {
    absl::StrAppend(&out, "\n",
                    Paragraph("options: --json, --socket PATH, --timeout SECONDS (`dmpdctl "
                              "--help`)"));
  }
  return out;
}

// A mistake on the command line: what is wrong, and where to read more; never the whole
// help, which would push the message off the screen.
int UsageError(const std::string& message, const Command* c = nullptr) {
  std::cerr << "dmpdctl: " << message << "\n";
  if (c != nullptr) {
    std::cerr << CommandUsage(*c) << "see `dmpdctl help " << c->name << "`\n";
  } else {
    std::cerr << "see `dmpdctl --help`\n";
  }
  return 2;
}

// Parses the arguments into `in`; what is wrong with them, for the operator, if anything.
std::optional<std::string> Parse(int argc, char** argv, Invocation& in) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (in.command == "leave" && in.operands.empty() && a == "--reason") {
      // The reason is free text: every word after --reason (but --json) is part of it,
      // sent as the daemon wants it: `leave --reason WORDS...`.
      in.operands.push_back(a);
      for (++i; i < argc; ++i) {
        if (std::string(argv[i]) == "--json") {
          in.as_json = true;
        } else {
          in.operands.push_back(argv[i]);
        }
      }
      if (in.operands.size() < 2) return "leave --reason needs TEXT";
      break;
    }
    if (a.size() < 2 || a[0] != '-') {  // "-" alone is an operand, as is ""
      if (in.command) {
        in.operands.push_back(a);
      } else {
        in.command = a;
      }
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const Option* option = nullptr;
    for (const Option& o : Options()) {
      if (std::find(o.names.begin(), o.names.end(), name) != o.names.end()) option = &o;
    }
    if (option == nullptr) {
      return absl::StrCat("unknown option '", name, "'", dmpd::DidYouMean(name, OptionNames()));
    }
    std::string value;
    if (option->value == nullptr) {
      if (eq != std::string::npos) return absl::StrCat(name, " takes no value");
    } else if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::StrCat(name, " needs ", option->value);
    }
    if (std::optional<std::string> error = option->set(in, value)) return error;
  }
  return std::nullopt;
}

int ShowHelp(const std::string& name) {
  const Command* c = FindCommand(name);
  if (c == nullptr) {
    return UsageError(
        absl::StrCat("unknown command '", name, "'", dmpd::DidYouMean(name, CommandNames())));
  }
  std::cout << CommandHelp(*c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Invocation in;
  if (std::optional<std::string> error = Parse(argc, argv, in)) return UsageError(*error);
  if (in.version) {
    std::cout << "dmpdctl " << dmpd::kVersion << "\n";
    return 0;
  }
  if (in.command == "help" && in.operands.size() <= 1 && !in.help) {
    if (in.operands.empty()) {
      std::cout << Overview();
      return 0;
    }
    return ShowHelp(in.operands[0]);
  }
  if (in.help) {
    if (!in.command) {
      std::cout << Overview();
      return 0;
    }
    return ShowHelp(*in.command);
  }
  if (!in.command) {
    std::cerr << Overview();
    return 2;
  }
  const Command* cmd = FindCommand(*in.command);
  if (cmd == nullptr) {
    return UsageError(absl::StrCat("unknown command '", *in.command, "'",
                                   dmpd::DidYouMean(*in.command, CommandNames())));
  }
  if (in.operands.size() < cmd->min_args || in.operands.size() > cmd->max_args) {
    return UsageError(
        absl::StrCat(cmd->name, ": ", in.operands.size() < cmd->min_args ? "too few" : "too many",
                     " operands"),
        cmd);
  }
  if (*in.command == "leave" && !in.operands.empty() && in.operands[0] != "--reason") {
    return UsageError("leave: the only operand is --reason TEXT...", cmd);
  }
  std::string request = *in.command;
  for (const std::string& o : in.operands) {
    // One request is one line: a line break in an operand would end it early.
    if (o.find_first_of("\r\n") != std::string::npos) {
      return UsageError("an operand may not contain a line break");
    }
    request += " " + o;
  }
  auto reply = Ask(in.socket_path, request, in.timeout_s);
  if (!reply.ok()) {
    std::cerr << "dmpdctl: " << reply.status().message() << "\n";
    return 1;
  }
  if (in.as_json) {
    std::cout << reply->dump(2) << "\n";
  } else {
    cmd->print(*reply);
  }
  return 0;
}
