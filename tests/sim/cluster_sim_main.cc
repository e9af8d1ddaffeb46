// SPDX-License-Identifier: BSD-3-Clause
// cluster_sim: one simulated run at a size the test suite cannot afford (1000 x 8), and its
// report: cold start, steady state with loss, a master crash, optionally a random fault
// schedule (--faults), with --trace and --watch to follow a failing seed. The simulation is
// virtual time and seeded; the wall clock is read only to say how long the run took.
//   cluster_sim --nodes 1000 --ports 8 --cycles 20 --seed 1 --loss 2 --mtu 9000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "tests/sim/cluster_sim.h"

namespace {

using dmpd::sim::ClusterSim;
using dmpd::sim::ClusterSimOptions;

struct Args {
  uint64_t nodes = 10, ports = 2, cycles = 20, seed = 1, mtu = 1500, interval_ms = 100;
  double loss_pct = 0;
  double cold_loss_pct = 0;  // loss during the cold start
  double max_cycles = 30;    // to converge after each fault
  uint64_t faults = 0;       // random faults after the steady state
  uint64_t watch = 0;        // node number whose frames are printed (0: none)
  bool single_lan = false, crash_master = true, trace = false;
};

// One table gives the parser and the --help text (STYLE.md 15).
struct Option {
  const char* name;
  const char* help;
  bool (*set)(Args&, absl::string_view);
};
const Option kOptions[] = {
    {"--nodes", "N nodes (1..1024)",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtoi(v, &a.nodes) && a.nodes >= 1 && a.nodes <= 1024;
     }},
    {"--ports", "P ports per node (1..64)",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtoi(v, &a.ports) && a.ports >= 1 && a.ports <= 64;
     }},
    {"--cycles", "C cycles of steady state measured",
     [](Args& a, absl::string_view v) { return absl::SimpleAtoi(v, &a.cycles); }},
    {"--seed", "S seed of every random draw",
     [](Args& a, absl::string_view v) { return absl::SimpleAtoi(v, &a.seed); }},
    {"--loss", "PCT loss per receiver and frame during the steady state",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtod(v, &a.loss_pct) && a.loss_pct >= 0 && a.loss_pct < 100;
     }},
    {"--cold-loss", "PCT loss per receiver and frame during the cold start",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtod(v, &a.cold_loss_pct) && a.cold_loss_pct >= 0 &&
              a.cold_loss_pct < 100;
     }},
    {"--mtu", "bytes of the control channel's frames (1500; 9000 for jumbo)",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtoi(v, &a.mtu) && a.mtu >= 576 && a.mtu <= 9216;
     }},
    {"--interval-ms", "cycle interval",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtoi(v, &a.interval_ms) && a.interval_ms >= 1;
     }},
    {"--max-cycles", "give up converging after this many cycles",
     [](Args& a, absl::string_view v) {
       return absl::SimpleAtod(v, &a.max_cycles) && a.max_cycles > 0;
     }},
    {"--faults", "F random faults (crash, restart, port, partition, heal), then convergence",
     [](Args& a, absl::string_view v) { return absl::SimpleAtoi(v, &a.faults); }},
    {"--trace", "yes|no: print every role, term and master change",
     [](Args& a, absl::string_view v) {
       a.trace = v == "yes";
       return v == "yes" || v == "no";
     }},
    {"--watch", "NODE: print the control frames that node sends and receives",
     [](Args& a, absl::string_view v) { return absl::SimpleAtoi(v, &a.watch); }},
    {"--single-lan", "yes|no: one bridge for every port (the lab)",
     [](Args& a, absl::string_view v) {
       a.single_lan = v == "yes";
       return v == "yes" || v == "no";
     }},
    {"--crash-master", "yes|no: crash the master after the steady state",
     [](Args& a, absl::string_view v) {
       a.crash_master = v == "yes";
       return v == "yes" || v == "no";
     }},
};

void Usage() {
  std::fprintf(stderr, "usage: cluster_sim [OPTION VALUE]...\n");
  for (const Option& o : kOptions) std::fprintf(stderr, "  %-15s %s\n", o.name, o.help);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view name = argv[i];
    const Option* o = nullptr;
    for (const Option& c : kOptions) {
      if (name == c.name) o = &c;
    }
    if (o == nullptr || i + 1 >= argc || !o->set(a, argv[i + 1])) {
      if (name != "--help") std::fprintf(stderr, "cluster_sim: bad option or value: %s\n", argv[i]);
      Usage();
      return name == "--help" ? 0 : 2;
    }
  }

  ClusterSimOptions o;
  o.net.nodes = a.nodes;
  o.net.ports = a.ports;
  o.net.seed = a.seed;
  o.net.single_lan = a.single_lan;
  o.net.loss = a.cold_loss_pct / 100.0;
  o.mtu = a.mtu;
  o.config.interval_ns = a.interval_ms * dmpd::sim::kMs;
  o.boot_spread_ns = o.config.interval_ns;
  std::printf("cluster_sim: %llu nodes x %llu ports, %s, mtu %llu, seed %llu\n",
              static_cast<unsigned long long>(a.nodes), static_cast<unsigned long long>(a.ports),
              a.single_lan ? "one LAN" : "one LAN per port", static_cast<unsigned long long>(a.mtu),
              static_cast<unsigned long long>(a.seed));

  auto t0 = std::chrono::steady_clock::now();
  ClusterSim sim(o);
  sim.set_trace(a.trace);
  if (a.watch != 0) {
    sim.net().set_tap([&sim, &a](bool sent, size_t node, size_t port, std::span<const uint8_t> f) {
      if (node + 1 != a.watch || f.size() < 14 + 20) return;
      const char* kinds[] = {"?",         "hello", "time_sync", "heartbeat", "response",
                             "candidacy", "vote",  "announce",  "leave",     "data"};
      const uint8_t kind = f[15];
      std::printf("    t=%.3f node %zu %s port %zu: %s from node %u\n", sim.CyclesNow(), node + 1,
                  sent ? "sends" : "receives", port, kind < 10 ? kinds[kind] : "?",
                  (f[22] << 8) | f[23]);
    });
  }
  std::string why;
  auto report_converge = [&](const char* what, std::optional<double> c) {
    if (c) {
      std::printf("%-28s converged after %.1f cycles  (%.1f s wall, %llu steps)\n", what, *c,
                  Seconds(t0), static_cast<unsigned long long>(sim.net().steps()));
    } else {
      sim.Converged(&why);
      std::printf("%-28s NOT converged within %.0f cycles: %s  (%.1f s wall)\n", what, a.max_cycles,
                  why.c_str(), Seconds(t0));
    }
    return c.has_value();
  };
  bool ok = report_converge("cold start:", sim.RunUntilConverged(a.max_cycles));

  sim.SetLoss(a.loss_pct / 100.0);
  sim.ResetTraffic();
  sim.ResetTotals();
  t0 = std::chrono::steady_clock::now();
  sim.RunCycles(static_cast<double>(a.cycles));
  const ClusterSim::TrafficReport t = sim.Traffic();
  uint64_t lost = 0;
  for (size_t i = 0; i < sim.size(); ++i) lost += sim.net().traffic(i).lost;
  std::printf("steady state, %llu cycles at %.2f %% loss: %.2f s wall (%.3f s per cycle)\n",
              static_cast<unsigned long long>(a.cycles), a.loss_pct, Seconds(t0),
              Seconds(t0) / static_cast<double>(a.cycles ? a.cycles : 1));
  std::printf("  bytes/node/cycle: rx mean %.0f max %.0f, tx mean %.0f max %.0f, master tx %.0f\n",
              t.rx_mean, t.rx_max, t.tx_mean, t.tx_max, t.master_tx);
  std::printf("  frames lost %llu, false failures %llu, elections %llu, split-brain steps %llu\n",
              static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(sim.totals().false_failures),
              static_cast<unsigned long long>(sim.ElectionsStarted()),
              static_cast<unsigned long long>(sim.totals().split_brain_steps));
  std::printf("  still converged: %s\n", sim.Converged(&why) ? "yes" : why.c_str());

  if (a.crash_master && sim.MasterIndex()) {
    sim.SetLoss(0);
    t0 = std::chrono::steady_clock::now();
    sim.Crash(*sim.MasterIndex());
    ok = report_converge("master crash:", sim.RunUntilConverged(a.max_cycles)) && ok;
  }
  if (a.faults > 0) {
    t0 = std::chrono::steady_clock::now();
    sim.RunRandomFaults(a.faults, a.seed,
                        [](const std::string& line) { std::printf("  %s\n", line.c_str()); });
    ok = report_converge("after random faults:", sim.RunUntilConverged(a.max_cycles)) && ok;
    std::printf("  elections %llu, split-brain steps %llu, false failures %llu\n",
                static_cast<unsigned long long>(sim.ElectionsStarted()),
                static_cast<unsigned long long>(sim.totals().split_brain_steps),
                static_cast<unsigned long long>(sim.totals().false_failures));
  }
  for (const std::string& v : sim.totals().violations) std::printf("violation: %s\n", v.c_str());
  return ok && sim.totals().violations.empty() ? 0 : 1;
}
