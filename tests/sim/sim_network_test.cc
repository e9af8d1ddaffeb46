// SPDX-License-Identifier: BSD-3-Clause
// The simulator's network on its own, with NeighbourDiscovery as the workload (a module
// that broadcasts every interval and forgets what it stops hearing): LANs, delay, loss,
// unicast, port and node faults, partitions, and determinism by seed.
#include "tests/sim/sim_network.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "userspace/daemon/neighbour_discovery.h"

namespace dmpd::sim {
namespace {

constexpr uint64_t kHello = 100 * kMs;
constexpr uint32_t kTimeoutHellos = 5;

// N nodes each running a ControlChannel and NeighbourDiscovery on the shared queue.
class NeighbourSim {
 public:
  explicit NeighbourSim(const SimNetworkOptions& o) : net_(o), nodes_(o.nodes) {
    for (size_t i = 0; i < o.nodes; ++i) Boot(i);
  }
  ~NeighbourSim() {
    for (auto& n : nodes_) {
      n.nd.reset();
      n.channel.reset();
    }
  }

  void Boot(size_t i) {
    net_.SetNodeUp(i, true);
    ControlChannelOptions co;
    co.cluster_id = 1;
    co.node = SimNetwork::NodeNumber(i);
    co.epoch = static_cast<uint64_t>(absl::ToUnixMicros(net_.clock().Wall()));
    nodes_[i].channel = std::make_unique<ControlChannel>(co, net_.transport(i));
    net_.Attach(i, nodes_[i].channel.get());
    nodes_[i].nd = std::make_unique<NeighbourDiscovery>(
        NeighbourDiscoveryOptions{.hello_interval_ns = kHello,
                                  .timeout_intervals = kTimeoutHellos,
                                  .max_neighbours = 4096,
                                  .name = ""},
        *nodes_[i].channel, net_.timers());
  }
  void Crash(size_t i) {
    net_.SetNodeUp(i, false);
    net_.Attach(i, nullptr);
    nodes_[i].nd.reset();
    nodes_[i].channel.reset();
  }

  void RunHellos(double n) { net_.RunUntil(net_.now() + static_cast<uint64_t>(n * kHello)); }
  size_t On(size_t i, size_t port) const { return nodes_[i].nd->table().CountOn(port); }
  // Whether node i hears node j's port `jp` on its port `port`.
  bool Hears(size_t i, size_t port, size_t j, size_t jp) const {
    for (const Neighbour& n : nodes_[i].nd->table().On(port)) {
      if (n.node == SimNetwork::NodeNumber(j) && n.port == jp) return true;
    }
    return false;
  }
  uint64_t Expired() const {
    uint64_t e = 0;
    for (const auto& n : nodes_) e += n.nd ? n.nd->expired() : 0;
    return e;
  }

  SimNetwork net_;
  struct Node {
    std::unique_ptr<ControlChannel> channel;
    std::unique_ptr<NeighbourDiscovery> nd;
  };
  std::vector<Node> nodes_;
};

SimNetworkOptions Options(size_t nodes, size_t ports, uint64_t seed = 1) {
  SimNetworkOptions o;
  o.nodes = nodes;
  o.ports = ports;
  o.seed = seed;
  return o;
}

TEST(SimNetwork, FiftyNodesDiscoverEveryNeighbourOnTheirLan) {
  NeighbourSim sim(Options(50, 2));
  sim.RunHellos(1.5);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(sim.On(i, 0), 49u) << i;  // port 0 of every other node
    EXPECT_EQ(sim.On(i, 1), 49u) << i;
  }
  EXPECT_TRUE(sim.Hears(3, 1, 40, 1));
  EXPECT_FALSE(sim.Hears(3, 1, 40, 0));  // another LAN
  // One hello per port per interval, each heard by 49 ports.
  const NodeTraffic& t = sim.net_.traffic(0);
  EXPECT_EQ(t.tx_frames, 4u);  // at 0 and 100 ms, on two ports
  EXPECT_EQ(t.rx_frames, 4u * 49);
}

TEST(SimNetwork, OneBridgeJoinsEveryPortIncludingANodesOwn) {
  SimNetworkOptions o = Options(10, 2);
  o.single_lan = true;
  NeighbourSim sim(o);
  sim.RunHellos(1.5);
  EXPECT_EQ(sim.On(0, 0), 19u);  // 10 x 2 ports but itself
  EXPECT_TRUE(sim.Hears(0, 0, 0, 1));
  EXPECT_TRUE(sim.Hears(0, 1, 7, 0));
}

TEST(SimNetwork, PartitionHidesTheOtherGroupAndHealRestoresIt) {
  NeighbourSim sim(Options(50, 2));
  sim.RunHellos(2);
  std::vector<int> groups(50, 0);
  for (size_t i = 25; i < 50; ++i) groups[i] = 1;
  sim.net_.Partition(groups);
  sim.RunHellos(kTimeoutHellos + 1.5);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(sim.On(i, 0), 24u) << i;
    EXPECT_EQ(sim.On(i, 1), 24u) << i;
  }
  EXPECT_FALSE(sim.Hears(0, 0, 30, 0));
  EXPECT_TRUE(sim.Hears(30, 0, 49, 0));
  sim.net_.Heal();
  sim.RunHellos(1.5);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(sim.On(i, 0), 49u) << i;
}

TEST(SimNetwork, TwoPercentLossExpiresNoNeighbour) {
  SimNetworkOptions o = Options(20, 2, 42);
  o.loss = 0.02;
  NeighbourSim sim(o);
  sim.RunHellos(200);
  // Forgetting takes five hellos lost in a row: 0.02^5 per neighbour and interval.
  EXPECT_EQ(sim.Expired(), 0u);
  uint64_t lost = 0, received = 0;
  for (size_t i = 0; i < 20; ++i) {
    lost += sim.net_.traffic(i).lost;
    received += sim.net_.traffic(i).rx_frames;
  }
  const double rate = static_cast<double>(lost) / static_cast<double>(lost + received);
  EXPECT_NEAR(rate, 0.02, 0.003);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(sim.On(i, 0), 19u);
}

TEST(SimNetwork, APortDownNeitherSendsNorReceives) {
  NeighbourSim sim(Options(5, 2));
  sim.RunHellos(1.5);
  sim.net_.SetPortUp(2, 0, false);
  const uint64_t rx_before = sim.net_.traffic(2).rx_frames;
  sim.RunHellos(kTimeoutHellos + 1.5);
  EXPECT_FALSE(sim.Hears(0, 0, 2, 0));
  EXPECT_TRUE(sim.Hears(0, 1, 2, 1));
  EXPECT_EQ(sim.On(2, 0), 0u);  // heard nothing there, forgot everyone
  EXPECT_EQ(sim.On(2, 1), 4u);
  EXPECT_GT(sim.net_.traffic(2).tx_refused, 0u);
  EXPECT_EQ(sim.nodes_[2].channel->stats(0).send_failed, sim.net_.traffic(2).tx_refused);
  // Only port 1's hellos arrive now: 4 per interval.
  EXPECT_LE(sim.net_.traffic(2).rx_frames - rx_before, 4u * (kTimeoutHellos + 2));
  sim.net_.SetPortUp(2, 0, true);
  sim.RunHellos(1.5);
  EXPECT_TRUE(sim.Hears(0, 0, 2, 0));
}

TEST(SimNetwork, CrashedNodeIsForgottenAndRestartedOneComesBack) {
  NeighbourSim sim(Options(5, 1));
  sim.RunHellos(1.5);
  sim.Crash(4);
  sim.RunHellos(kTimeoutHellos + 1.5);
  EXPECT_EQ(sim.On(0, 0), 3u);
  sim.Boot(4);
  sim.RunHellos(1.5);
  EXPECT_EQ(sim.On(0, 0), 4u);
  EXPECT_EQ(sim.On(4, 0), 4u);
}

TEST(SimNetwork, UnicastReachesOnlyTheOwnerOfTheMacAfterTheDelay) {
  SimNetworkOptions o = Options(4, 2);
  o.base_delay_ns = 30 * kUs;
  o.jitter_ns = 0;
  SimNetwork net(o);
  std::vector<std::unique_ptr<ControlChannel>> ch;
  std::vector<std::vector<std::pair<size_t, uint64_t>>> got(4);  // (port, at)
  for (size_t i = 0; i < 4; ++i) {
    ControlChannelOptions co;
    co.cluster_id = 1;
    co.node = SimNetwork::NodeNumber(i);
    ch.push_back(std::make_unique<ControlChannel>(co, net.transport(i)));
    net.Attach(i, ch.back().get());
    ch.back()->On(DMPD_KIND_HELLO, [&got, &net, i](const Message&, const ReceivedOn& from) {
      got[i].emplace_back(from.port, net.now());
    });
  }
  const uint64_t t0 = net.now();
  ASSERT_TRUE(ch[0]->Send(1, Hello{}, SimNetwork::Mac(2, 1)).ok());
  net.RunUntil(t0 + kMs);
  EXPECT_TRUE(got[1].empty());
  EXPECT_TRUE(got[3].empty());
  ASSERT_EQ(got[2].size(), 1u);
  EXPECT_EQ(got[2][0].first, 1u);
  EXPECT_EQ(got[2][0].second, t0 + 30 * kUs);
}

// Same seed, same run; another seed, another run.
TEST(SimNetwork, TheSeedDecidesTheRun) {
  auto run = [](uint64_t seed) {
    SimNetworkOptions o = Options(10, 2, seed);
    o.loss = 0.1;
    NeighbourSim sim(o);
    sim.RunHellos(20);
    std::vector<uint64_t> v;
    for (size_t i = 0; i < 10; ++i) {
      v.push_back(sim.net_.traffic(i).lost);
      v.push_back(sim.net_.traffic(i).rx_bytes);
    }
    v.push_back(sim.net_.steps());
    return v;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

}  // namespace
}  // namespace dmpd::sim
