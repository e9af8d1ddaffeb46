// SPDX-License-Identifier: BSD-3-Clause
// ClusterSim: N nodes running dmpd::cluster::ClusterNode on a SimNetwork, each with its own
// ControlChannel over its SimPortTransport and LocalInputs answered by the simulator (a
// plausible NodeView; link state from the network's port faults). Faults are applied
// between runs; after every simulation step the invariants are checked:
//  - split brain: two nodes with role master in the same term that can talk (one
//    partition group, a LAN with a port up on each) and have been able to for longer than
//    one interval and a half (the time a master needs to hear the other);
//  - false failure: a master marking failed a node that is up and can talk to it, neither
//    of them disturbed (booted, crashed, a port changed, partitioned) for
//    node_failed_after + 2 intervals.
// Convergence (all live, mutually reachable nodes agree on master, term and every
// member's state, and those states are right: live nodes alive, crashed ones failed or
// absent) is sampled on a grid of a tenth of an interval, so "cycles to converge" has
// that resolution.
#ifndef DMPD_TESTS_SIM_CLUSTER_SIM_H_
#define DMPD_TESTS_SIM_CLUSTER_SIM_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tests/sim/sim_network.h"
#include "userspace/cluster/cluster_node.h"

namespace dmpd::sim {

struct ClusterSimOptions {
  SimNetworkOptions net;
  cluster::ClusterConfig config;  // config.node is set per node
  uint32_t cluster_id = 7;
  size_t mtu = 1500;
  // Nodes boot at seeded times spread over this span (0: all at once), like daemons
  // started by hand or by a fleet tool.
  uint64_t boot_spread_ns = 0;
};

struct ConvergenceSample {
  uint64_t at_ns = 0;
  bool converged = false;
  std::string why;  // the first disagreement, when not converged
};

struct ClusterSimTotals {
  uint64_t split_brain_steps = 0;       // steps that found two masters of one term in one group
  uint64_t false_failures = 0;          // transitions to failed of a node up and reachable
  std::vector<std::string> violations;  // the first few, described
};

class ClusterSim {
 public:
  explicit ClusterSim(const ClusterSimOptions& options);
  ~ClusterSim();

  SimNetwork& net() { return net_; }
  const ClusterSimOptions& options() const { return options_; }
  size_t size() const { return nodes_.size(); }
  uint64_t interval_ns() const { return options_.config.interval_ns; }
  // The live ClusterNode of node index i, or null if crashed.
  cluster::ClusterNode* node(size_t i) { return nodes_[i]->cluster.get(); }
  bool up(size_t i) const { return nodes_[i]->cluster != nullptr; }

  // --- faults (each marks the start of a convergence measurement) ---------------------
  void Crash(size_t i);
  void Restart(size_t i);
  void SetPortUp(size_t i, size_t port, bool up);
  void Partition(const std::vector<int>& groups);
  void Heal();
  void SetLoss(double loss) { net_.SetLoss(loss); }
  void MarkFault() { fault_ns_ = net_.now(); }

  // `count` faults drawn from a generator seeded with `seed` (crash, restart, port down,
  // port up, partition into two random groups, heal), each followed by 1..7 cycles; then
  // every port up and the partition healed (crashed nodes stay down), ready for
  // RunUntilConverged. `log` gets one line per fault.
  void RunRandomFaults(uint64_t count, uint64_t seed,
                       const std::function<void(const std::string&)>& log = {});

  // --- running ------------------------------------------------------------------------
  void RunFor(uint64_t ns);
  void RunCycles(double cycles) { RunFor(static_cast<uint64_t>(cycles * interval_ns())); }
  // Runs until converged (sampled) or `max_cycles` have passed since the last fault mark;
  // returns the cycles from the mark to the first converged sample.
  std::optional<double> RunUntilConverged(double max_cycles);
  // Whether the live nodes of each partition group agree, and on the truth; `why` says
  // what differs. Cost O(N^2): sampled, not run every step.
  bool Converged(std::string* why = nullptr) const;

  // The master of the group of node i as the live nodes see it (if they agree).
  std::optional<size_t> MasterIndex() const;
  // Every live node shows node i's `port` in `state` (PortState) in its view.
  bool PortStateInEveryView(size_t i, size_t port, uint8_t state, std::string* why = nullptr) const;
  // Summed over every incarnation, live and crashed, since the last ResetTotals.
  uint64_t ElectionsStarted() const;
  uint64_t BecameMaster() const;
  const ClusterSimTotals& totals() const { return totals_; }
  void ResetTotals();
  // Prints every change of a node's role, term or master, with the time in cycles.
  void set_trace(bool on) { trace_ = on; }
  uint64_t now() const { return net_.now(); }
  // Virtual time since the simulation began, in cycle intervals.
  double CyclesNow() const {
    return static_cast<double>(net_.now() - start_ns_) / static_cast<double>(interval_ns());
  }

  // Control traffic per node and cycle since the last ResetTraffic (mean and max over
  // nodes, bytes of whole Ethernet frames).
  struct TrafficReport {
    double cycles = 0;
    double rx_mean = 0, rx_max = 0, tx_mean = 0, tx_max = 0;
    double master_tx = 0;  // the master's own sending, per cycle
  };
  TrafficReport Traffic() const;
  void ResetTraffic();

 private:
  struct SimNode {
    size_t index = 0;
    std::unique_ptr<ControlChannel> channel;
    std::unique_ptr<cluster::ClusterNode> cluster;
    uint64_t booted_ns = 0;
    uint32_t incarnation = 0;
    bool crashed = false;
    std::tuple<cluster::Role, uint32_t, uint16_t>
        traced{};  // role, term, master  // by Crash(); a node not booted yet is not crashed
  };
  void Boot(size_t i);
  NodeView ViewOf(size_t i) const;
  void CheckStep();
  void Violation(std::string what);

  ClusterSimOptions options_;
  SimNetwork net_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  uint64_t start_ns_ = 0;
  uint64_t fault_ns_ = 0;
  // Per node: when it last booted, crashed or had its reachability changed.
  std::vector<uint64_t> disturbed_ns_;
  // The last heal, partition, port coming up or boot: masters that could not hear each
  // other may meet.
  uint64_t connectivity_changed_ns_ = 0;
  uint64_t traffic_since_ns_ = 0;
  ClusterSimTotals totals_;
  // Per (master node index): the states it published last step, to count transitions.
  struct MasterLook {
    uint32_t term = 0;
    std::map<uint16_t, cluster::MemberState> states;
  };
  std::map<size_t, MasterLook> last_seen_by_master_;
  bool trace_ = false;
  // Counters of crashed incarnations, so totals survive crashes.
  uint64_t dead_elections_ = 0, dead_became_master_ = 0;
};

}  // namespace dmpd::sim

#endif  // DMPD_TESTS_SIM_CLUSTER_SIM_H_
