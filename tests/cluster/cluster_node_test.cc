// SPDX-License-Identifier: BSD-3-Clause
// The cluster rules on a few nodes, with in-memory transports and virtual time: election,
// the cycle, stepping down on a higher term, k-miss detection, leave and rejoin, one
// number used twice. (tests/sim runs the same code at scale with delay, loss and faults.)
#include "userspace/cluster/cluster_node.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "tests/support/memory_transport.h"
#include "userspace/cluster/cluster_commands.h"

namespace dmpd::cluster {
namespace {

using testing::MemoryTransport;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kInterval = 100 * kMs;

MacAddress Mac(uint16_t node, uint16_t port, uint8_t salt = 0) {
  return {0x02, salt, static_cast<uint8_t>(node >> 8), static_cast<uint8_t>(node),
          static_cast<uint8_t>(port), 0};
}

// Nodes on one LAN per port index; frames move when the harness pumps.
class Harness {
 public:
  struct Node {
    uint16_t id;
    std::unique_ptr<MemoryTransport> wire;
    std::unique_ptr<ControlChannel> channel;
    std::unique_ptr<ClusterNode> cluster;
    std::vector<bool> link;
    bool up = true;
    uint8_t salt = 0;
    ClusterConfig config;
  };

  explicit Harness(size_t ports = 2) : ports_(ports) {}

  ClusterNode& Add(uint16_t id, ClusterConfig config = {}, uint8_t salt = 0) {
    auto n = std::make_unique<Node>();
    n->id = id;
    n->salt = salt;
    std::vector<MacAddress> macs;
    for (size_t p = 0; p < ports_; ++p) macs.push_back(Mac(id, static_cast<uint16_t>(p), salt));
    n->wire = std::make_unique<MemoryTransport>(macs);
    n->channel = std::make_unique<ControlChannel>(
        ControlChannelOptions{.cluster_id = 1, .node = id, .ethertype = DMPD_ETHERTYPE_DEFAULT,
                              .mtu = 9000, .auth = nullptr, .epoch = 1},
        *n->wire);
    n->link.assign(ports_, true);
    config.node = id;
    config.interval_ns = kInterval;
    n->config = config;
    Start(*n);
    nodes_.push_back(std::move(n));
    return *nodes_.back()->cluster;
  }

  // A fresh daemon with the same number, MACs and settings (after Crash).
  void Restart(uint16_t id) {
    Node& n = node(id);
    n.up = true;
    Start(n);
  }

  void Start(Node& n) {
    Node* raw = &n;
    n.cluster = std::make_unique<ClusterNode>(
        n.config, *n.channel, timers_,
        LocalInputs{.view = [] {
                      NodeView v;
                      v.info.cores = 2;
                      return v;
                    },
                    .link_up = [raw](size_t p) { return raw->link[p]; },
                    .event = nullptr});
  }

  Node& node(uint16_t id) {
    for (auto& n : nodes_) {
      if (n->id == id) return *n;
    }
    abort();
  }
  ClusterNode& operator[](uint16_t id) { return *node(id).cluster; }
  Node& last() { return *nodes_.back(); }

  void Crash(uint16_t id) {
    Node& n = node(id);
    n.up = false;
    n.cluster.reset();
  }

  // Moves every frame sent so far to its receivers, until none are left.
  void Pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      for (auto& n : nodes_) {
        for (size_t p = 0; p < ports_; ++p) {
          auto frames = std::move(n->wire->sent()[p]);
          n->wire->sent()[p].clear();
          for (const auto& f : frames) {
            moved = true;
            if (!n->up || !n->link[p]) continue;
            MacAddress dst;
            std::copy_n(f.begin(), 6, dst.begin());
            for (auto& r : nodes_) {
              if (r.get() == n.get() || !r->up || !r->link[p] || !r->cluster) continue;
              if (dst != kBroadcastMac && dst != r->wire->port_mac(p)) continue;
              if (blocked_.count({n->id, r->id}) > 0) continue;
              r->channel->Receive(p, f, clock_.MonotonicNs());
            }
          }
        }
      }
      if (!moved) return;
    }
  }

  // Advances virtual time in 1 ms steps, pumping frames after every step.
  void Run(uint64_t ns) {
    const uint64_t end = clock_.MonotonicNs() + ns;
    while (clock_.MonotonicNs() < end) {
      clock_.Advance(kMs);
      timers_.RunDue();
      Pump();
    }
  }
  void RunCycles(int n) { Run(static_cast<uint64_t>(n) * kInterval); }

  void Partition(const std::set<uint16_t>& group) {
    for (auto& a : nodes_) {
      for (auto& b : nodes_) {
        if (group.count(a->id) != group.count(b->id)) blocked_.insert({a->id, b->id});
      }
    }
  }
  void Heal() { blocked_.clear(); }

  std::vector<uint16_t> Masters() {
    std::vector<uint16_t> out;
    for (auto& n : nodes_) {
      if (n->cluster && n->cluster->role() == Role::kMaster) out.push_back(n->id);
    }
    return out;
  }

  ManualClock clock_;
  TimerQueue timers_{clock_};

 private:
  size_t ports_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::set<std::pair<uint16_t, uint16_t>> blocked_;
};

MemberState StateOf(ClusterNode& viewer, uint16_t node) {
  auto it = viewer.members().find(node);
  EXPECT_NE(it, viewer.members().end()) << "node " << node;
  return it == viewer.members().end() ? MemberState::kFailed : it->second.state;
}

TEST(ClusterNode, ElectsTheBestRankedNodeAndEveryoneHoldsTheView) {
  Harness h;
  ClusterConfig high;
  high.priority = 200;
  h.Add(1);
  h.Add(2);
  h.Add(3, high);
  h.Add(4);
  h.RunCycles(10);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{3});
  for (uint16_t id : {1, 2, 3, 4}) {
    EXPECT_EQ(h[id].master(), 3) << id;
    EXPECT_EQ(h[id].term(), h[3].term()) << id;
    ASSERT_EQ(h[id].members().size(), 4u) << id;
    for (uint16_t other : {1, 2, 3, 4}) {
      EXPECT_EQ(StateOf(h[id], other), MemberState::kAlive) << id << " sees " << other;
      const Member& m = h[id].members().at(other);
      ASSERT_EQ(m.view.ports.size(), 2u);
      EXPECT_EQ(m.view.ports[1].state, kPortUp);
      EXPECT_EQ(m.view.info.cores, 2);
    }
  }
}

// CLU-6: with a tiny budget only one member's data goes out in full per heartbeat, yet
// every node ends up holding everyone's data, and states and port failures still reach
// every view within a cycle or two.
TEST(ClusterNode, ARotatingViewStillGivesEveryoneEverythingAndPortsAtOnce) {
  Harness h;
  ClusterConfig tiny;
  tiny.view_data_budget_bytes = 1;
  for (uint16_t id : {1, 2, 3, 4, 5}) h.Add(id, tiny);
  h.RunCycles(15);
  for (uint16_t id : {1, 2, 3, 4, 5}) {
    ASSERT_EQ(h[id].members().size(), 5u) << id;
    for (uint16_t other : {1, 2, 3, 4, 5}) {
      const Member& m = h[id].members().at(other);
      EXPECT_EQ(m.view.info.cores, 2) << id << " has no data of " << other;
      ASSERT_EQ(m.view.ports.size(), 2u);
      EXPECT_TRUE(m.view.ports[0].mac.has_value());
      EXPECT_EQ(m.state, MemberState::kAlive);
    }
  }
  h.node(4).link[0] = false;
  h.RunCycles(2);
  for (uint16_t id : {1, 2, 3, 5}) {
    EXPECT_EQ(h[id].members().at(4).view.ports[0].state, kPortDown) << id;
    EXPECT_EQ(h[id].members().at(4).view.ports[1].state, kPortUp) << id;
  }
  h.node(4).link[0] = true;
  h.RunCycles(2);
  EXPECT_EQ(h[2].members().at(4).view.ports[0].state, kPortUp);
}

TEST(ClusterNode, EqualPrioritiesGoToTheLowestNodeNumber) {
  Harness h;
  for (uint16_t id : {5, 3, 9}) h.Add(id);
  h.RunCycles(10);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{3});
}

TEST(ClusterNode, MasterCrashElectsOneNewMasterAndMarksItFailed) {
  Harness h;
  for (uint16_t id : {1, 2, 3, 4}) h.Add(id);
  h.RunCycles(10);
  ASSERT_EQ(h.Masters(), std::vector<uint16_t>{1});
  const uint32_t old_term = h[2].term();
  h.Crash(1);
  h.RunCycles(10);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{2});
  for (uint16_t id : {2, 3, 4}) {
    EXPECT_EQ(h[id].master(), 2);
    EXPECT_GT(h[id].term(), old_term);
    EXPECT_EQ(StateOf(h[id], 1), MemberState::kFailed) << id;
  }
}

TEST(ClusterNode, NodeMissingKCyclesIsSuspectThenFailedAndComesBack) {
  Harness h;
  for (uint16_t id : {1, 2, 3}) h.Add(id);
  h.RunCycles(10);
  h.node(3).up = false;  // silent, not destroyed
  h.RunCycles(1);
  EXPECT_EQ(StateOf(h[1], 3), MemberState::kSuspect);
  h.RunCycles(3);
  EXPECT_EQ(StateOf(h[1], 3), MemberState::kFailed);
  EXPECT_EQ(StateOf(h[2], 3), MemberState::kFailed);
  h.node(3).up = true;
  h.RunCycles(3);
  EXPECT_EQ(StateOf(h[2], 3), MemberState::kAlive);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{1});  // nobody deposed
}

TEST(ClusterNode, APortThatStopsHearingTheClusterIsDownInEveryView) {
  Harness h;
  for (uint16_t id : {1, 2, 3}) h.Add(id);
  h.RunCycles(10);
  h.node(3).link[1] = false;
  h.RunCycles(2);
  for (uint16_t id : {1, 2, 3}) {
    EXPECT_EQ(h[id].members().at(3).view.ports[1].state, kPortDown) << id;
    EXPECT_EQ(h[id].members().at(3).view.ports[0].state, kPortUp) << id;
  }
  h.node(3).link[1] = true;
  h.RunCycles(2);
  EXPECT_EQ(h[2].members().at(3).view.ports[1].state, kPortUp);
}

// `cluster --json` as each node prints it: the ports of `member` as (up, state) pairs.
std::vector<std::pair<bool, std::string>> PortsShownFor(ClusterNode& viewer, uint16_t member) {
  std::vector<std::pair<bool, std::string>> out;
  const nlohmann::json view = ClusterView(viewer);
  for (const auto& m : view["members"]) {
    if (m["node"] != member) continue;
    for (const auto& p : m["ports"]) out.emplace_back(p["up"], p["state"]);
  }
  return out;
}

TEST(ClusterNode, AFailedMembersPortsAreDownAndALeftMembersUnknownInEveryView) {
  Harness h;
  for (uint16_t id : {1, 2, 3, 4}) h.Add(id);
  h.RunCycles(10);
  using Shown = std::vector<std::pair<bool, std::string>>;
  EXPECT_EQ(PortsShownFor(h[1], 3), (Shown{{true, "up"}, {true, "up"}}));
  h.Crash(3);
  h[4].Leave(kOperator);
  h.RunCycles(10);
  for (uint16_t viewer : {1, 2}) {  // the master and a follower
    ASSERT_EQ(StateOf(h[viewer], 3), MemberState::kFailed) << viewer;
    EXPECT_EQ(PortsShownFor(h[viewer], 3), (Shown{{false, "down"}, {false, "down"}})) << viewer;
    ASSERT_EQ(StateOf(h[viewer], 4), MemberState::kLeft) << viewer;
    EXPECT_EQ(PortsShownFor(h[viewer], 4), (Shown{{false, "unknown"}, {false, "unknown"}}))
        << viewer;
  }
  h.Restart(3);
  h[4].Join();
  h.RunCycles(10);
  EXPECT_EQ(PortsShownFor(h[1], 3), (Shown{{true, "up"}, {true, "up"}}));
  EXPECT_EQ(PortsShownFor(h[2], 4), (Shown{{true, "up"}, {true, "up"}}));
}

TEST(ClusterNode, ARestartedNodeDoesNotDeposeTheMaster) {
  Harness h;
  for (uint16_t id : {1, 2, 3}) h.Add(id);
  h.RunCycles(10);
  h.Crash(1);
  h.RunCycles(10);
  ASSERT_EQ(h.Masters(), std::vector<uint16_t>{2});
  // Node 1 restarts: better ranked, but without preempt it follows.
  h.Restart(1);
  h.RunCycles(10);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{2});
  EXPECT_EQ(h[1].master(), 2);
  EXPECT_EQ(StateOf(h[3], 1), MemberState::kAlive);
}

TEST(ClusterNode, PreemptLetsABetterNodeTakeOver) {
  Harness h;
  ClusterConfig preempt;
  preempt.preempt = true;  // a cluster-wide setting
  h.Add(2, preempt);
  h.Add(3, preempt);
  h.RunCycles(10);
  ASSERT_EQ(h.Masters(), std::vector<uint16_t>{2});
  ClusterConfig c;
  c.priority = 250;
  c.preempt = true;
  h.Add(1, c);
  h.RunCycles(15);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{1});
}

TEST(ClusterNode, AHigherTermMakesTheMasterStepDownAndAPartitionHealsToOneMaster) {
  Harness h;
  for (uint16_t id : {1, 2, 3, 4}) h.Add(id);
  h.RunCycles(10);
  h.Partition({1, 2});
  h.RunCycles(10);
  // Each side has one master: 1 kept its side, 3 was elected on the other.
  auto masters = h.Masters();
  EXPECT_EQ(masters, (std::vector<uint16_t>{1, 3}));
  EXPECT_GT(h[3].term(), h[1].term());
  h.Heal();
  h.RunCycles(10);
  masters = h.Masters();
  ASSERT_EQ(masters.size(), 1u);
  for (uint16_t id : {1, 2, 3, 4}) {
    EXPECT_EQ(h[id].master(), masters[0]);
    EXPECT_EQ(h[id].term(), h[masters[0]].term());
    EXPECT_EQ(h[id].members().size(), 4u);
  }
}

TEST(ClusterNode, LeaveShowsLeftWithItsReasonAndJoinRejoins) {
  Harness h;
  for (uint16_t id : {1, 2, 3}) h.Add(id);
  h.RunCycles(10);
  h[3].Leave(kOperator);
  h.RunCycles(5);
  for (uint16_t id : {1, 2, 3}) {
    EXPECT_EQ(StateOf(h[id], 3), MemberState::kLeft) << id;
    EXPECT_EQ(h[id].members().at(3).left_reason, kOperator) << id;
  }
  h[3].Join();
  h.RunCycles(3);
  for (uint16_t id : {1, 2, 3}) EXPECT_EQ(StateOf(h[id], 3), MemberState::kAlive) << id;
}

TEST(ClusterNode, UnhealthyNodeLeavesAndRejoinsAfterTheHoldTime) {
  Harness h;
  ClusterConfig c;
  c.rejoin_hold_ns = 500 * kMs;
  h.Add(1);
  h.Add(2, c);
  h.RunCycles(10);
  h[2].OnHealth(false, kMemoryLimit);
  h.RunCycles(3);
  EXPECT_EQ(StateOf(h[1], 2), MemberState::kLeft);
  EXPECT_EQ(h[1].members().at(2).left_reason, kMemoryLimit);
  h[2].OnHealth(true, 0);
  h.RunCycles(3);
  EXPECT_EQ(StateOf(h[1], 2), MemberState::kLeft);  // not yet: hold time
  h.RunCycles(4);
  EXPECT_EQ(StateOf(h[1], 2), MemberState::kAlive);
}

TEST(ClusterNode, TheMasterLeavingStartsAnElectionAtOnce) {
  Harness h;
  for (uint16_t id : {1, 2, 3}) h.Add(id);
  h.RunCycles(10);
  h[1].Leave(kOperator);
  h.RunCycles(4);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{2});
  EXPECT_EQ(StateOf(h[3], 1), MemberState::kLeft);
}

// Seen in the lab: a follower leaves and rejoins, then the master leaves. The survivors
// that heard the leave first had agreed on a term among themselves and waited for the best
// candidate, which had proposed alone and waited for agreement: nobody was elected. A vote
// for the better proposer now tells it.
TEST(ClusterNode, AfterAFollowerRejoinsTheMasterLeavingStillElectsOne) {
  Harness h;
  for (uint16_t id : {1, 2, 3, 4}) h.Add(id);
  h.RunCycles(10);
  h[4].Leave(kOperator);
  h.RunCycles(3);
  h[4].Join();
  h.RunCycles(5);
  h[1].Leave(kOperator);
  h.RunCycles(8);
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{2});
  for (uint16_t id : {2, 3, 4}) EXPECT_EQ(h[id].master(), 2) << id;
}

TEST(ClusterNode, OneNumberTwoDaemonsIsAConflictAndTheViewStaysIntact) {
  Harness h;
  for (uint16_t id : {1, 2, 3}) h.Add(id);
  h.RunCycles(10);
  // A second daemon configured as node 3, with other MACs.
  ClusterConfig c;
  ClusterNode& newcomer = h.Add(3, c, /*salt=*/0x55);
  Harness::Node& second = h.last();
  h.RunCycles(5);
  EXPECT_EQ(newcomer.role(), Role::kConflict);
  EXPECT_TRUE(newcomer.number_in_conflict());
  EXPECT_TRUE(h.node(3).cluster->number_in_conflict());  // the first one reports it too
  EXPECT_EQ(h.node(3).cluster->role(), Role::kFollower);
  EXPECT_EQ(StateOf(h[1], 3), MemberState::kConflict);
  EXPECT_EQ(StateOf(h[2], 3), MemberState::kConflict);
  // The master kept the first daemon's data.
  const Member& m = h[2].members().at(3);
  ASSERT_FALSE(m.view.ports.empty());
  EXPECT_EQ(m.view.ports[0].mac, Mac(3, 0, 0));
  EXPECT_EQ(h.Masters(), std::vector<uint16_t>{1});
  EXPECT_EQ(h[1].stats().conflicts_seen, 1u);
  // The second daemon goes away: the number is the first one's again.
  newcomer.Leave(kShutdown);  // its leave does not speak for the first one
  h.RunCycles(2);
  EXPECT_NE(StateOf(h[2], 3), MemberState::kLeft);
  second.up = false;
  h.RunCycles(6);
  EXPECT_EQ(StateOf(h[2], 3), MemberState::kAlive);
  EXPECT_FALSE(h.node(3).cluster->number_in_conflict());
}

}  // namespace
}  // namespace dmpd::cluster
