// SPDX-License-Identifier: BSD-3-Clause
// The balancer as the pipe engine's port choice: decisions used as the balancer makes
// them, the static hash when it has none the worker can use, k copies on distinct ports,
// the report handed from the worker's side to the main lcore's.
#include "userspace/pipe/balanced_port_chooser.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <set>
#include <vector>

#include "absl/time/time.h"
#include "common/port_info.h"
#include "tests/lb/lb_test_support.h"

namespace dmpd::pipe {
namespace {

using lb::test_support::kLocalNode;
using lb::test_support::kPeer;
using lb::test_support::Local;
using lb::test_support::PeerMac;
using lb::test_support::PeerView;

Route PeerRoute(size_t ports) {
  Route r;
  for (size_t i = 0; i < ports; ++i) r.macs[r.count++] = PeerMac(static_cast<uint16_t>(i));
  return r;
}

struct Fixture {
  Fixture(BalancedPortChooser::Policy policy = BalancedPortChooser::Policy::kBalanced) {
    auto b = lb::Balancer::Create({});
    EXPECT_TRUE(b.ok()) << b.status();
    balancer = *std::move(b);
    chooser = std::make_unique<BalancedPortChooser>(*balancer, policy);
  }
  void Update(const std::vector<double>& local, const std::vector<double>& peer, int period) {
    const std::vector<lb::PortInput> l = Local(local);
    const std::vector<NodeView> views{PeerView(peer)};
    ASSERT_TRUE(balancer->Update(l, views, absl::FromUnixSeconds(1000 + period)).ok());
  }
  std::unique_ptr<lb::Balancer> balancer;
  std::unique_ptr<BalancedPortChooser> chooser;
};

lb::BalanceKey Key(uint16_t pipe) { return {kLocalNode, kPeer, pipe, pipe, 1}; }

const std::vector<size_t> kAllUp{0, 1, 2, 3};

TEST(BalancedPortChooser, FollowsTheBalancerToTheDestinationsLeastLoadedPort) {
  Fixture f;
  f.Update({0, 0, 0, 0}, {0.9, 0.9, 0.1, 0.9}, 1);
  std::array<PortChoice, 4> out;
  for (uint16_t pipe = 1; pipe <= 32; ++pipe) {
    ASSERT_EQ(f.chooser->Choose(Key(pipe), 1000, PeerRoute(4), kAllUp, 1, out), 1u);
    EXPECT_EQ(out[0].dst, PeerMac(2)) << "pipe " << pipe;
    const lb::Decision d = f.balancer->Decide(Key(pipe));
    EXPECT_EQ(out[0].port, d.send_port);
  }
  EXPECT_EQ(f.chooser->fallbacks(), 0u);
}

TEST(BalancedPortChooser, KeysLeaveAnOverloadedSendingPort) {
  Fixture f;
  f.Update({0.9, 0.1, 0.1, 0.1}, {0, 0, 0, 0}, 1);
  std::array<PortChoice, 4> out;
  for (uint16_t pipe = 1; pipe <= 64; ++pipe) {
    ASSERT_EQ(f.chooser->Choose(Key(pipe), 1000, PeerRoute(4), kAllUp, 1, out), 1u);
    EXPECT_NE(out[0].port, 0u) << "pipe " << pipe << " was put on the overloaded port";
  }
}

TEST(BalancedPortChooser, StaticPolicyIsTheHashWhateverTheLoads) {
  Fixture balanced;
  Fixture fixed(BalancedPortChooser::Policy::kStaticHash);
  fixed.Update({0.9, 0.1, 0.1, 0.1}, {0.9, 0.1, 0.1, 0.1}, 1);
  HashPortChooser hash;
  std::array<PortChoice, 4> got, want;
  size_t on_port0 = 0;
  for (uint16_t pipe = 1; pipe <= 64; ++pipe) {
    ASSERT_EQ(fixed.chooser->Choose(Key(pipe), 1000, PeerRoute(4), kAllUp, 1, got), 1u);
    ASSERT_EQ(hash.Choose(Key(pipe), 1000, PeerRoute(4), kAllUp, 1, want), 1u);
    EXPECT_EQ(got[0].port, want[0].port);
    EXPECT_EQ(got[0].dst, want[0].dst);
    on_port0 += got[0].port == 0;
  }
  EXPECT_GT(on_port0, 0u);  // the hash keeps using the hot port
  EXPECT_EQ(fixed.balancer->counters().decisions, 0u);
}

TEST(BalancedPortChooser, FallsBackToTheHashWithoutAViewOfTheDestination) {
  Fixture f;
  const std::vector<lb::PortInput> l = Local({0, 0, 0, 0});
  ASSERT_TRUE(f.balancer->Update(l, std::span<const NodeView>{}, absl::FromUnixSeconds(1)).ok());
  std::array<PortChoice, 4> out;
  EXPECT_EQ(f.chooser->Choose(Key(1), 1000, PeerRoute(2), kAllUp, 1, out), 1u);
  EXPECT_EQ(f.chooser->fallbacks(), 1u);
}

TEST(BalancedPortChooser, FallsBackWhenTheChosenPortWentDownSinceTheLastPeriod) {
  Fixture f;
  f.Update({0, 0, 0, 0}, {0, 0, 0, 0}, 1);
  std::array<PortChoice, 4> out;
  ASSERT_EQ(f.chooser->Choose(Key(7), 1000, PeerRoute(4), kAllUp, 1, out), 1u);
  const size_t chosen = out[0].port;
  std::vector<size_t> up;
  for (size_t p : kAllUp) {
    if (p != chosen) up.push_back(p);
  }
  ASSERT_EQ(f.chooser->Choose(Key(7), 1000, PeerRoute(4), up, 1, out), 1u);
  EXPECT_NE(out[0].port, chosen);
  EXPECT_EQ(f.chooser->fallbacks(), 1u);
  // The destination's port left the route (the cluster saw it go down) likewise.
  const MacAddress dst = out[0].dst;
  Route without;
  for (uint16_t i = 0; i < 4; ++i) {
    if (PeerMac(i) != dst) without.macs[without.count++] = PeerMac(i);
  }
  ASSERT_EQ(f.chooser->Choose(Key(7), 1000, without, kAllUp, 1, out), 1u);
  EXPECT_NE(out[0].dst, dst);
}

TEST(BalancedPortChooser, CopiesGoOnDistinctPortsStartingWithTheBalancersChoice) {
  Fixture f;
  f.Update({0, 0, 0, 0}, {0.5, 0.5, 0.0, 0.5}, 1);
  std::array<PortChoice, 4> out;
  ASSERT_EQ(f.chooser->Choose(Key(3), 1000, PeerRoute(4), kAllUp, 3, out), 3u);
  EXPECT_EQ(out[0].dst, PeerMac(2));
  std::set<size_t> ports{out[0].port, out[1].port, out[2].port};
  std::set<MacAddress> dsts{out[0].dst, out[1].dst, out[2].dst};
  EXPECT_EQ(ports.size(), 3u);
  EXPECT_EQ(dsts.size(), 3u);
  // Fewer up ports than copies: as many as there are.
  EXPECT_EQ(f.chooser->Choose(Key(3), 1000, PeerRoute(4), std::vector<size_t>{out[0].port, 3}, 3, out),
            2u);
}

TEST(BalancedPortChooser, ReportIsPublishedByTheWorkersPollOnRequest) {
  Fixture f;
  EXPECT_EQ(f.chooser->LatestReport(), nullptr);
  f.Update({0.2, 0.4, 0, 0}, {0, 0, 0, 0}, 1);
  f.chooser->Poll();
  EXPECT_EQ(f.chooser->LatestReport(), nullptr) << "no report without a request";
  f.chooser->RequestReport();
  f.chooser->Poll();
  std::shared_ptr<const lb::BalancerReport> r = f.chooser->LatestReport();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->period, 1u);
  ASSERT_EQ(r->local.ports.size(), 4u);
  EXPECT_DOUBLE_EQ(r->local.ports[1].load, 0.4);
  f.chooser->Poll();
  EXPECT_EQ(f.chooser->LatestReport(), r) << "one report per request";
}

TEST(BalancedPortChooser, NothingWithoutUpPortsOrRoute) {
  Fixture f;
  f.Update({0, 0}, {0, 0}, 1);
  std::array<PortChoice, 4> out;
  EXPECT_EQ(f.chooser->Choose(Key(1), 1000, PeerRoute(2), std::vector<size_t>{}, 1, out), 0u);
  EXPECT_EQ(f.chooser->Choose(Key(1), 1000, Route{}, kAllUp, 1, out), 0u);
}

}  // namespace
}  // namespace dmpd::pipe
