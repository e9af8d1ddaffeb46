// SPDX-License-Identifier: BSD-3-Clause
#include "tests/sim/cluster_sim.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace dmpd::sim {
namespace {

using cluster::ClusterNode;
using cluster::MemberState;
using cluster::Role;

constexpr size_t kViolationsKept = 20;

}  // namespace

ClusterSim::ClusterSim(const ClusterSimOptions& options) : options_(options), net_(options.net) {
  nodes_.reserve(options_.net.nodes);
  for (size_t i = 0; i < options_.net.nodes; ++i) {
    auto n = std::make_unique<SimNode>();
    n->index = i;
    nodes_.push_back(std::move(n));
  }
  disturbed_ns_.assign(options_.net.nodes, net_.now());
  // Its own generator: boot times do not shift the network's draws.
  std::mt19937_64 boot_rng(options_.net.seed ^ 0x626f6f74ULL);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const uint64_t at = options_.boot_spread_ns > 0 ? boot_rng() % options_.boot_spread_ns : 0;
    if (at == 0) {
      Boot(i);
    } else {
      net_.SetNodeUp(i, false);
      net_.timers().After(at, [this, i] { Boot(i); });
    }
  }
  fault_ns_ = traffic_since_ns_ = start_ns_ = net_.now();
}

ClusterSim::~ClusterSim() {
  // Modules cancel their timers on the shared queue and unhook from their channels.
  for (auto& n : nodes_) {
    n->cluster.reset();
    n->channel.reset();
  }
}

NodeView ClusterSim::ViewOf(size_t i) const {
  // A plausible monitoring sample: a few node fields and every port with MAC and speed;
  // the cluster fills in the port states. Constant per node, so views settle.
  NodeView v;
  v.info.id = SimNetwork::NodeNumber(i);
  v.info.cores = 16;
  v.info.cpu_util_ppm = static_cast<uint32_t>((i * 7919) % 1'000'000);
  v.info.load1_milli = static_cast<uint32_t>(500 + i % 1000);
  v.info.mem_bytes = uint64_t{64} << 30;
  v.info.mem_util_ppm = 250'000;
  v.info.health = kNodeHealthy;
  for (size_t p = 0; p < net_.ports(); ++p) {
    PortInfo& port = v.ports.emplace_back();
    port.id = static_cast<uint16_t>(p);
    port.mac = SimNetwork::Mac(i, p);
    port.speed_bps = 25'000'000'000ULL;
  }
  return v;
}

void ClusterSim::Boot(size_t i) {
  SimNode& n = *nodes_[i];
  ++n.incarnation;
  n.crashed = false;
  n.booted_ns = net_.now();
  connectivity_changed_ns_ = net_.now();
  disturbed_ns_[i] = net_.now();
  net_.SetNodeUp(i, true);
  ControlChannelOptions co;
  co.cluster_id = options_.cluster_id;
  co.node = SimNetwork::NodeNumber(i);
  co.mtu = options_.mtu;
  // This run's start, as a restarted daemon would stamp it.
  co.epoch = static_cast<uint64_t>(absl::ToUnixMicros(net_.clock().Wall()));
  n.channel = std::make_unique<ControlChannel>(co, net_.transport(i));
  net_.Attach(i, n.channel.get());
  cluster::ClusterConfig config = options_.config;
  config.node = SimNetwork::NodeNumber(i);
  cluster::LocalInputs local;
  local.view = [this, i] { return ViewOf(i); };
  local.link_up = [this, i](size_t port) { return net_.port_up(i, port); };
  n.cluster = std::make_unique<ClusterNode>(config, *n.channel, net_.timers(), std::move(local));
}

void ClusterSim::Crash(size_t i) {
  SimNode& n = *nodes_[i];
  MarkFault();
  disturbed_ns_[i] = net_.now();
  if (!n.cluster) return;
  dead_elections_ += n.cluster->stats().elections_started;
  dead_became_master_ += n.cluster->stats().became_master;
  net_.SetNodeUp(i, false);
  net_.Attach(i, nullptr);
  n.crashed = true;
  n.cluster.reset();  // unhooks from the channel and cancels its timers
  n.channel.reset();
  last_seen_by_master_.erase(i);
}

void ClusterSim::Restart(size_t i) {
  MarkFault();
  if (nodes_[i]->cluster) Crash(i);
  Boot(i);
}

void ClusterSim::SetPortUp(size_t i, size_t port, bool up) {
  MarkFault();
  disturbed_ns_[i] = net_.now();
  if (up) connectivity_changed_ns_ = net_.now();
  net_.SetPortUp(i, port, up);
}

void ClusterSim::Partition(const std::vector<int>& groups) {
  MarkFault();
  std::fill(disturbed_ns_.begin(), disturbed_ns_.end(), net_.now());
  connectivity_changed_ns_ = net_.now();
  net_.Partition(groups);
}

void ClusterSim::Heal() {
  MarkFault();
  std::fill(disturbed_ns_.begin(), disturbed_ns_.end(), net_.now());
  connectivity_changed_ns_ = net_.now();
  net_.Heal();
}

void ClusterSim::ResetTotals() {
  totals_ = ClusterSimTotals{};
  dead_elections_ = dead_became_master_ = 0;
  for (auto& n : nodes_) {
    if (n->cluster) {
      dead_elections_ -= n->cluster->stats().elections_started;
      dead_became_master_ -= n->cluster->stats().became_master;
    }
  }
}

void ClusterSim::Violation(std::string what) {
  if (totals_.violations.size() < kViolationsKept) {
    totals_.violations.push_back(
        absl::StrCat("t=", (net_.now() - start_ns_) / 1'000'000, "ms: ", std::move(what)));
  }
}

void ClusterSim::CheckStep() {
  // Split brain: two masters of one term that can talk to each other, and have been able
  // to for longer than it takes a master to hear the other's time-sync (one interval,
  // plus delivery): two masters of one term may meet at a heal, and must then resolve.
  std::map<uint32_t, std::vector<size_t>> masters;  // term -> master indices
  bool split = false;
  const uint64_t grace = options_.config.interval_ns + options_.config.interval_ns / 2;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ClusterNode* c = nodes_[i]->cluster.get();
    if (trace_ && c != nullptr) {
      SimNode& n = *nodes_[i];
      const auto now = std::make_tuple(c->role(), c->term(), c->master().value_or(0));
      if (now != n.traced) {
        std::printf("  t=%.2f node %u: %s term %u master %u\n", CyclesNow(), c->config().node,
                    std::string(cluster::RoleName(c->role())).c_str(), c->term(),
                    c->master().value_or(0));
        n.traced = now;
      }
    }
    if (c == nullptr || c->role() != Role::kMaster) {
      last_seen_by_master_.erase(i);
      continue;
    }
    std::vector<size_t>& same_term = masters[c->term()];
    for (size_t other : same_term) {
      if (!net_.CanTalk(i, other) || net_.now() - connectivity_changed_ns_ < grace) continue;
      split = true;
      Violation(absl::StrCat("two masters in term ", c->term(), ": node ",
                             SimNetwork::NodeNumber(other), " and node ",
                             SimNetwork::NodeNumber(i)));
    }
    same_term.push_back(i);
  }
  if (split) ++totals_.split_brain_steps;

  // False failures: a master turning a member failed that is up, reachable and has been
  // undisturbed long enough that it must have answered. What a new master inherits from
  // its predecessor's view is not its verdict: the first look only records.
  const uint64_t settle =
      uint64_t{options_.config.node_failed_after + 2} * options_.config.interval_ns;
  for (const auto& [term, in_term] : masters) {
    for (size_t m : in_term) {
      const ClusterNode* c = nodes_[m]->cluster.get();
      auto [seen, first_look] = last_seen_by_master_.try_emplace(m);
      auto& last = seen->second;
      if (!first_look && last.term != c->term()) {
        last.states.clear();
        first_look = true;
      }
      last.term = c->term();
      for (const auto& [number, member] : c->members()) {
        auto [it, fresh] = last.states.try_emplace(number, member.state);
        const MemberState before = fresh ? MemberState::kAlive : it->second;
        it->second = member.state;
        if (first_look || member.state != MemberState::kFailed || before == MemberState::kFailed) {
          continue;
        }
        const size_t j = static_cast<size_t>(number) - 1;
        if (j >= nodes_.size() || !nodes_[j]->cluster || !net_.CanTalk(m, j)) continue;
        if (net_.now() - disturbed_ns_[j] < settle || net_.now() - disturbed_ns_[m] < settle)
          continue;
        ++totals_.false_failures;
        Violation(absl::StrCat("node ", SimNetwork::NodeNumber(m), " (master, term ", c->term(),
                               ") marked node ", number, " failed while it was up and reachable"));
      }
    }
  }
}

void ClusterSim::RunRandomFaults(uint64_t count, uint64_t seed,
                                 const std::function<void(const std::string&)>& log) {
  // Its own generator, so that the schedule does not shift the network's draws.
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + 1);
  std::vector<size_t> crashed;
  std::vector<std::pair<size_t, size_t>> ports_down;
  for (uint64_t f = 0; f < count; ++f) {
    const size_t victim = rng() % nodes_.size();
    std::string what = "nothing";
    switch (rng() % 6) {
      case 0:
        if (!up(victim)) break;
        Crash(victim);
        crashed.push_back(victim);
        what = absl::StrCat("crash node ", SimNetwork::NodeNumber(victim));
        break;
      case 1:
        if (crashed.empty()) break;
        what = absl::StrCat("restart node ", SimNetwork::NodeNumber(crashed.back()));
        Restart(crashed.back());
        crashed.pop_back();
        break;
      case 2: {
        const size_t port = rng() % net_.ports();
        SetPortUp(victim, port, false);
        ports_down.emplace_back(victim, port);
        what = absl::StrCat("port ", port, " of node ", SimNetwork::NodeNumber(victim), " down");
        break;
      }
      case 3:
        if (ports_down.empty()) break;
        what = absl::StrCat("port ", ports_down.back().second, " of node ",
                            SimNetwork::NodeNumber(ports_down.back().first), " up");
        SetPortUp(ports_down.back().first, ports_down.back().second, true);
        ports_down.pop_back();
        break;
      case 4: {
        std::vector<int> groups(nodes_.size());
        what = "partition, group 1:";
        for (size_t i = 0; i < groups.size(); ++i) {
          groups[i] = static_cast<int>(rng() % 2);
          if (groups[i] == 1) absl::StrAppend(&what, " ", SimNetwork::NodeNumber(i));
        }
        Partition(groups);
        break;
      }
      case 5:
        Heal();
        what = "heal";
        break;
    }
    const double gap = 1 + static_cast<double>(rng() % 60) / 10.0;
    if (log)
      log(absl::StrFormat("fault %d at t=%.2f: %s, then %.1f cycles", f, CyclesNow(), what, gap));
    RunCycles(gap);
  }
  for (auto [node, port] : ports_down) SetPortUp(node, port, true);
  Heal();
}

void ClusterSim::RunFor(uint64_t ns) {
  net_.RunUntil(net_.now() + ns, [this] { CheckStep(); });
}

bool ClusterSim::Converged(std::string* why) const {
  auto fail = [&](std::string s) {
    if (why != nullptr) *why = std::move(s);
    return false;
  };
  std::map<int, std::vector<size_t>> groups;  // live nodes by partition group
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->cluster) {
      groups[net_.group(i)].push_back(i);
    } else if (!nodes_[i]->crashed) {
      return fail(absl::StrCat("node ", SimNetwork::NodeNumber(i), " has not booted yet"));
    }
  }
  for (const auto& [g, live] : groups) {
    const ClusterNode& first = *nodes_[live.front()]->cluster;
    if (!first.master()) return fail(absl::StrCat("node ", first.config().node, " has no master"));
    const uint16_t master = *first.master();
    const size_t mi = static_cast<size_t>(master) - 1;
    if (mi >= nodes_.size() || !nodes_[mi]->cluster || net_.group(mi) != g ||
        nodes_[mi]->cluster->role() != Role::kMaster) {
      return fail(absl::StrCat("node ", first.config().node, " follows node ", master,
                               " which is not a live master in its group"));
    }
    const ClusterNode& mc = *nodes_[mi]->cluster;
    for (size_t i : live) {
      const ClusterNode& c = *nodes_[i]->cluster;
      if (c.master() != master || c.term() != mc.term()) {
        return fail(absl::StrCat("node ", c.config().node, " has master ",
                                 c.master() ? int{*c.master()} : -1, " term ", c.term(), ", node ",
                                 master, " is master of term ", mc.term()));
      }
      if (i != mi && c.role() != Role::kFollower) {
        return fail(absl::StrCat("node ", c.config().node, " is ",
                                 std::string(cluster::RoleName(c.role()))));
      }
    }
    // The master's view is right...
    for (size_t j = 0; j < nodes_.size(); ++j) {
      const uint16_t number = SimNetwork::NodeNumber(j);
      auto it = mc.members().find(number);
      const bool here = nodes_[j]->cluster && net_.group(j) == g;
      if (here && (it == mc.members().end() || it->second.state != MemberState::kAlive)) {
        return fail(absl::StrCat("master ", master, " has live node ", number, " as ",
                                 it == mc.members().end()
                                     ? std::string("absent")
                                     : std::string(cluster::MemberStateName(it->second.state))));
      }
      if (!here && it != mc.members().end() && it->second.state != MemberState::kFailed) {
        return fail(absl::StrCat("master ", master, " has unreachable node ", number, " as ",
                                 std::string(cluster::MemberStateName(it->second.state))));
      }
    }
    // ...and every follower holds the same member states.
    for (size_t i : live) {
      const ClusterNode& c = *nodes_[i]->cluster;
      if (i == mi) continue;
      if (c.members().size() != mc.members().size()) {
        return fail(absl::StrCat("node ", c.config().node, " knows ", c.members().size(),
                                 " members, the master ", mc.members().size()));
      }
      auto a = c.members().begin();
      for (auto b = mc.members().begin(); b != mc.members().end(); ++a, ++b) {
        if (a->first != b->first || a->second.state != b->second.state) {
          return fail(absl::StrCat("node ", c.config().node, " sees node ", a->first, " ",
                                   std::string(cluster::MemberStateName(a->second.state)),
                                   ", master sees node ", b->first, " ",
                                   std::string(cluster::MemberStateName(b->second.state))));
        }
      }
    }
  }
  return true;
}

std::optional<double> ClusterSim::RunUntilConverged(double max_cycles) {
  const uint64_t step = std::max<uint64_t>(interval_ns() / 10, 1);
  const uint64_t limit = fault_ns_ + static_cast<uint64_t>(max_cycles * interval_ns());
  for (;;) {
    if (Converged()) {
      return static_cast<double>(net_.now() - fault_ns_) / static_cast<double>(interval_ns());
    }
    if (net_.now() >= limit) return std::nullopt;
    RunFor(std::min(step, limit - net_.now()));
  }
}

std::optional<size_t> ClusterSim::MasterIndex() const {
  std::optional<uint16_t> agreed;
  for (const auto& n : nodes_) {
    if (!n->cluster) continue;
    if (!n->cluster->master()) return std::nullopt;
    if (agreed && *agreed != *n->cluster->master()) return std::nullopt;
    agreed = n->cluster->master();
  }
  if (!agreed) return std::nullopt;
  return static_cast<size_t>(*agreed) - 1;
}

bool ClusterSim::PortStateInEveryView(size_t i, size_t port, uint8_t state,
                                      std::string* why) const {
  const uint16_t number = SimNetwork::NodeNumber(i);
  for (const auto& n : nodes_) {
    if (!n->cluster) continue;
    const auto& members = n->cluster->members();
    auto it = members.find(number);
    const PortInfo* pi = nullptr;
    if (it != members.end()) {
      for (const PortInfo& p : it->second.view.ports) {
        if (p.id == port) pi = &p;
      }
    }
    if (pi == nullptr || pi->state != state) {
      if (why != nullptr) {
        *why = absl::StrCat("node ", n->cluster->config().node, " sees node ", number, " port ",
                            port, " in state ", pi == nullptr || !pi->state ? -1 : int{*pi->state});
      }
      return false;
    }
  }
  return true;
}

uint64_t ClusterSim::ElectionsStarted() const {
  uint64_t total = dead_elections_;
  for (const auto& n : nodes_) {
    if (n->cluster) total += n->cluster->stats().elections_started;
  }
  return total;
}

uint64_t ClusterSim::BecameMaster() const {
  uint64_t total = dead_became_master_;
  for (const auto& n : nodes_) {
    if (n->cluster) total += n->cluster->stats().became_master;
  }
  return total;
}

void ClusterSim::ResetTraffic() {
  net_.ResetTraffic();
  traffic_since_ns_ = net_.now();
}

ClusterSim::TrafficReport ClusterSim::Traffic() const {
  TrafficReport r;
  r.cycles =
      static_cast<double>(net_.now() - traffic_since_ns_) / static_cast<double>(interval_ns());
  if (r.cycles <= 0) return r;
  size_t live = 0;
  const std::optional<size_t> master = MasterIndex();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->cluster) continue;
    ++live;
    const NodeTraffic& t = net_.traffic(i);
    const double rx = static_cast<double>(t.rx_bytes) / r.cycles;
    const double tx = static_cast<double>(t.tx_bytes) / r.cycles;
    r.rx_mean += rx;
    r.tx_mean += tx;
    r.rx_max = std::max(r.rx_max, rx);
    r.tx_max = std::max(r.tx_max, tx);
    if (master && *master == i) r.master_tx = tx;
  }
  if (live > 0) {
    r.rx_mean /= static_cast<double>(live);
    r.tx_mean /= static_cast<double>(live);
  }
  return r;
}

}  // namespace dmpd::sim
