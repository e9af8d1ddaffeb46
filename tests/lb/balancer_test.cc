// SPDX-License-Identifier: BSD-3-Clause
// The facade: steps 1–6 end to end over loads and views given by hand.
#include "userspace/lb/balancer.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "common/port_info.h"
#include "tests/lb/lb_test_support.h"

namespace dmpd::lb {
namespace {

using test_support::kLocalNode;
using test_support::kPeer;
using test_support::Local;
using test_support::LocalMac;
using test_support::PeerMac;
using test_support::PeerView;

std::unique_ptr<Balancer> MakeBalancer(BalancerConfig config = {}) {
  absl::StatusOr<std::unique_ptr<Balancer>> b = Balancer::Create(std::move(config));
  EXPECT_TRUE(b.ok()) << b.status();
  return *std::move(b);
}

absl::Time Period(int p) { return absl::FromUnixSeconds(1'000'000 + 5 * p); }

BalanceKey Key(uint16_t pipe) { return BalanceKey{kLocalNode, kPeer, pipe, pipe, 1}; }

TEST(Balancer, NoDecisionBeforeTheFirstUpdate) {
  auto b = MakeBalancer();
  const Decision d = b->Decide(Key(1));
  EXPECT_FALSE(d.ok());
  EXPECT_TRUE(d.flags & kDecisionNoSendPort);
}

TEST(Balancer, StepsOneToSixOnBalancedPorts) {
  auto b = MakeBalancer();
  const std::vector<NodeView> views = {PeerView({0.3, 0.2, 0.1, 0.3})};
  ASSERT_TRUE(b->Update(Local({0.2, 0.2, 0.2, 0.2}), views, Period(0)).ok());
  const ToeplitzHash h = ToeplitzHash::CreateMicrosoftDefault();
  for (uint16_t pipe = 0; pipe < 32; ++pipe) {
    const Decision d = b->Decide(Key(pipe));
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d.flags & kDecisionNewKey);
    const uint16_t hashed = h.Hash(Key(pipe)) % 4;  // step 2: hash mod n
    EXPECT_EQ(d.send_port, hashed);
    EXPECT_EQ(d.src_mac, LocalMac(hashed));
    EXPECT_EQ(d.tx_queue, 10 + hashed);
    EXPECT_EQ(d.receive_port, 2);  // step 5: the peer's least-loaded up port
    EXPECT_EQ(d.dst_mac, PeerMac(2));
  }
  EXPECT_EQ(b->counters().decisions, 32u);
  EXPECT_EQ(b->counters().new_keys, 32u);
}

TEST(Balancer, KeysKeepTheirPortsWhileLoadsAreStable) {
  auto b = MakeBalancer();
  const std::vector<NodeView> views = {PeerView({0.2, 0.2, 0.2, 0.2})};
  ASSERT_TRUE(b->Update(Local({0.2, 0.25, 0.2, 0.22}), views, Period(0)).ok());
  std::vector<Decision> first;
  for (uint16_t pipe = 0; pipe < 64; ++pipe) first.push_back(b->Decide(Key(pipe)));
  for (int period = 1; period <= 20; ++period) {
    ASSERT_TRUE(b->Update(Local({0.2, 0.25, 0.2, 0.22}), views, Period(period)).ok());
    for (uint16_t pipe = 0; pipe < 64; ++pipe) {
      const Decision d = b->Decide(Key(pipe));
      ASSERT_EQ(d.send_port, first[pipe].send_port);
      ASSERT_EQ(d.receive_port, first[pipe].receive_port);
    }
  }
  EXPECT_EQ(b->counters().repicks, 0u);
  EXPECT_EQ(b->counters().reorders, 0u);
}

TEST(Balancer, NewKeysSpreadOverEquallyLightReceivingPorts) {
  auto b = MakeBalancer();
  const std::vector<NodeView> views = {PeerView({0, 0, 0, 0})};  // at start: all idle
  ASSERT_TRUE(b->Update(Local({0, 0, 0, 0}), views, Period(0)).ok());
  std::vector<int> per_port(4, 0);
  for (uint16_t pipe = 0; pipe < 400; ++pipe) ++per_port[b->Decide(Key(pipe)).receive_port];
  for (int n : per_port) EXPECT_GT(n, 50) << "not all keys on one receiving port";
}

TEST(Balancer, DownPortIsLeftAndNeverChosen) {
  auto b = MakeBalancer();
  const std::vector<NodeView> views = {PeerView({0.1, 0.1, 0.1, 0.1})};
  ASSERT_TRUE(b->Update(Local({0.1, 0.1, 0.1, 0.1}), views, Period(0)).ok());
  for (uint16_t pipe = 0; pipe < 64; ++pipe) b->Decide(Key(pipe));
  // Local port 1 and the peer's port 0 go down.
  const std::vector<NodeView> views2 = {PeerView({0.1, 0.1, 0.1, 0.1}, {false, true, true, true})};
  ASSERT_TRUE(
      b->Update(Local({0.1, 0.1, 0.1, 0.1}, {true, false, true, true}), views2, Period(1)).ok());
  for (uint16_t pipe = 0; pipe < 64; ++pipe) {
    const Decision d = b->Decide(Key(pipe));
    ASSERT_TRUE(d.ok());
    EXPECT_NE(d.send_port, 1);
    EXPECT_NE(d.receive_port, 0);
  }
  EXPECT_GT(b->counters().repicks, 0u);
  EXPECT_EQ(b->counters().reorders, 0u);  // leaving a dead port loses frames, does not reorder
}

TEST(Balancer, AllLocalPortsDownGivesNoSendPort) {
  auto b = MakeBalancer();
  const std::vector<NodeView> views = {PeerView({0.1})};
  ASSERT_TRUE(b->Update(Local({0.1, 0.1}, {false, false}), views, Period(0)).ok());
  const Decision d = b->Decide(Key(1));
  EXPECT_FALSE(d.ok());
  EXPECT_TRUE(d.flags & kDecisionNoSendPort);
  EXPECT_FALSE(d.flags & kDecisionNoReceivePort);
}

TEST(Balancer, UnknownDestinationGivesNoReceivePort) {
  auto b = MakeBalancer();
  ASSERT_TRUE(b->Update(Local({0.1, 0.1}), std::vector<NodeView>{}, Period(0)).ok());
  const Decision d = b->Decide(Key(1));
  EXPECT_TRUE(d.flags & kDecisionNoReceivePort);
  EXPECT_FALSE(d.flags & kDecisionNoSendPort);
  EXPECT_EQ(b->counters().no_receive_port, 1u);
}

TEST(Balancer, OverloadedPortShedsKeysAfterTheHoldAndCountsReorders) {
  BalancerConfig config;
  config.hysteresis.first_hold_periods = config.hysteresis.min_hold_periods;  // as after a move
  auto b = MakeBalancer(config);
  const std::vector<NodeView> views = {PeerView({0.1, 0.1})};
  ASSERT_TRUE(b->Update(Local({0.2, 0.2}), views, Period(0)).ok());
  std::vector<uint16_t> on_port0;
  for (uint16_t pipe = 0; pipe < 64; ++pipe) {
    if (b->Decide(Key(pipe)).send_port == 0) on_port0.push_back(pipe);
  }
  ASSERT_FALSE(on_port0.empty());
  // Port 0 gets hot; the hold (2 periods since the keys took their port) must pass first.
  ASSERT_TRUE(b->Update(Local({0.9, 0.1}), views, Period(1)).ok());
  for (uint16_t pipe : on_port0) EXPECT_EQ(b->Decide(Key(pipe)).send_port, 0);
  ASSERT_TRUE(b->Update(Local({0.9, 0.1}), views, Period(2)).ok());
  for (uint16_t pipe : on_port0) {
    const Decision d = b->Decide(Key(pipe));
    EXPECT_EQ(d.send_port, 1);
    EXPECT_TRUE(d.flags & kDecisionMayReorder);
  }
  EXPECT_EQ(b->counters().repicks, on_port0.size());
  EXPECT_EQ(b->counters().reorders, on_port0.size());
}

// The paper's heap adjustment: six keys of 10 Mbit/s share a hot port; when it is found
// overloaded they must not all move to the same lightest port (a herd that makes that
// port the hot one next period), only as many as it takes, spread over the others.
TEST(Balancer, KeysOfAHotPortSpreadOverTheOthersInsteadOfHerding) {
  auto b = MakeBalancer();
  auto local = [](const std::vector<double>& loads) {
    std::vector<PortInput> in = Local(loads);
    for (PortInput& p : in) p.bandwidth_bps = 100e6;
    return in;
  };
  const std::vector<NodeView> peer{PeerView({0, 0, 0, 0})};
  const size_t bytes_per_period = static_cast<size_t>(10e6 / 8 * 5);  // 10 Mbit/s, 5 s periods
  // Period 1: ports 1-3 busy with other traffic, so every new key takes port 0.
  ASSERT_TRUE(b->Update(local({0.0, 0.9, 0.9, 0.9}), peer, Period(1)).ok());
  for (uint16_t pipe = 1; pipe <= 6; ++pipe) ASSERT_EQ(b->Decide(Key(pipe), bytes_per_period).send_port, 0);
  // Period 2: that traffic is gone and port 0 carries the six keys (0.6), now measured;
  // new keys may leave their first port once their traffic is known.
  ASSERT_TRUE(b->Update(local({0.6, 0.1, 0.1, 0.1}), peer, Period(2)).ok());
  for (uint16_t pipe = 1; pipe <= 6; ++pipe) (void)b->Decide(Key(pipe), bytes_per_period);
  std::vector<int> keys_on(4, 0);
  for (uint16_t pipe = 1; pipe <= 6; ++pipe) ++keys_on[b->Decide(Key(pipe)).send_port];
  // Each key is 0.084 of a link: port 0 sheds keys until it is under the limit
  // (mean 0.225 · 1.1 + 0.02 = 0.2675): 4 keys, to three different ports.
  EXPECT_EQ(keys_on[0], 2) << testing::PrintToString(keys_on);
  EXPECT_GE(keys_on[1], 1);
  EXPECT_GE(keys_on[2], 1);
  EXPECT_GE(keys_on[3], 1);
  EXPECT_EQ(b->counters().repicks, 4u);
  const BalancerReport r = b->Report();
  ASSERT_FALSE(r.active_keys.empty());
  EXPECT_NEAR(r.active_keys.front().bits_per_second, 10e6, 1);
}

// A key heavier than the gap it would close stays: moving it only moves the hot spot.
TEST(Balancer, AKeyTooHeavyToHelpStaysPut) {
  auto b = MakeBalancer();
  auto local = [](const std::vector<double>& loads) {
    std::vector<PortInput> in = Local(loads);
    for (PortInput& p : in) p.bandwidth_bps = 100e6;
    return in;
  };
  const std::vector<NodeView> peer{PeerView({0, 0})};
  const size_t bytes_per_period = static_cast<size_t>(60e6 / 8 * 5);  // 60 Mbit/s: 0.504
  ASSERT_TRUE(b->Update(local({0.0, 0.9}), peer, Period(1)).ok());
  ASSERT_EQ(b->Decide(Key(1), bytes_per_period).send_port, 0);
  for (int p = 2; p <= 6; ++p) {
    ASSERT_TRUE(b->Update(local({0.55, 0.25}), peer, Period(p)).ok());
    EXPECT_EQ(b->Decide(Key(1), bytes_per_period).send_port, 0) << "period " << p;
  }
  EXPECT_EQ(b->counters().repicks, 0u);
}

TEST(Balancer, PaperCriterionIsSelectable) {
  BalancerConfig c;
  c.criterion.criterion = BalanceCriterion::kPaperBalanceDegree;
  auto b = MakeBalancer(c);
  const std::vector<NodeView> views = {PeerView({0.1, 0.1})};
  // {0.9, 0.1, 0.1, 0.1}: WL = 1.5 ≤ 1.86, so the paper keeps the hot port in use.
  ASSERT_TRUE(b->Update(Local({0.9, 0.1, 0.1, 0.1}), views, Period(0)).ok());
  const BalancerReport r = b->Report();
  EXPECT_NEAR(r.local.summary.wl, 1.5, 1e-12);
  EXPECT_FALSE(r.local.ports[0].overloaded);
}

TEST(Balancer, ReportHasLoadsWlCountersAndABoundedKeyList) {
  BalancerConfig c;
  c.report_max_keys = 5;
  auto b = MakeBalancer(c);
  const std::vector<NodeView> views = {PeerView({0.1, 0.3})};
  ASSERT_TRUE(b->Update(Local({0.875, 0.375, 0.375, 0.375}), views, Period(0)).ok());
  for (uint16_t pipe = 0; pipe < 20; ++pipe) b->Decide(Key(pipe));
  const BalancerReport r = b->Report();
  EXPECT_EQ(r.period, 1u);
  EXPECT_EQ(r.built_at, Period(0));
  ASSERT_EQ(r.local.ports.size(), 4u);
  EXPECT_EQ(r.local.ports[0].load, 0.875);
  EXPECT_TRUE(r.local.ports[0].overloaded);
  EXPECT_EQ(r.local.summary.mean, 0.5);
  EXPECT_EQ(r.local.summary.wl, 4.0);  // √4 · 0.5 / 0.25 with μ = 0
  ASSERT_EQ(r.destinations.size(), 1u);
  EXPECT_EQ(r.destinations[0].node, kPeer);
  EXPECT_EQ(r.counters.decisions, 20u);
  EXPECT_EQ(r.hash_computations, 20u);
  EXPECT_EQ(r.hash_cache_hits, 0u);
  EXPECT_EQ(r.active_keys_total, 20u);
  ASSERT_EQ(r.active_keys.size(), 5u);
  EXPECT_EQ(r.active_keys[0].key, Key(0));  // sorted by key
  EXPECT_EQ(r.active_keys[0].receive_port, std::optional<uint16_t>(0));
  int counters = 0;
  r.counters.ForEach([&](const char*, const char*, uint64_t) { ++counters; });
  EXPECT_EQ(counters, 7);
  // Keys unused for two periods are no longer active.
  ASSERT_TRUE(b->Update(Local({0.5, 0.5, 0.5, 0.5}), views, Period(1)).ok());
  ASSERT_TRUE(b->Update(Local({0.5, 0.5, 0.5, 0.5}), views, Period(2)).ok());
  EXPECT_EQ(b->Report().active_keys_total, 0u);
}

TEST(Balancer, BadUpdateKeepsThePreviousSnapshot) {
  auto b = MakeBalancer();
  const std::vector<NodeView> views = {PeerView({0.1})};
  ASSERT_TRUE(b->Update(Local({0.1, 0.1}), views, Period(0)).ok());
  const std::vector<NodeView> twice = {PeerView({0.1}), PeerView({0.2})};
  EXPECT_EQ(b->Update(Local({0.1, 0.1}), twice, Period(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b->Update(Local({-0.5, 0.1}), views, Period(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(b->Decide(Key(1)).ok());
  EXPECT_EQ(b->Report().period, 1u);
}

TEST(Balancer, RepeatedDecisionInAPeriodHasTheSamePortsAndNoEventFlags) {
  auto b = MakeBalancer();
  ASSERT_TRUE(b->Update(Local({0.1, 0.1}), std::vector<NodeView>{}, Period(0)).ok());
  const Decision first = b->Decide(Key(3));
  const Decision second = b->Decide(Key(3));
  EXPECT_TRUE(first.flags & kDecisionNewKey);
  EXPECT_EQ(second.flags, kDecisionNoReceivePort);  // the key's state, not the event
  EXPECT_EQ(second.send_port, first.send_port);
  EXPECT_EQ(second.src_mac, first.src_mac);
  EXPECT_EQ(b->counters().no_receive_port, 2u);  // counted per decision
  EXPECT_EQ(b->counters().decisions, 2u);
  EXPECT_EQ(b->counters().new_keys, 1u);
}

TEST(Balancer, ConfigIsChecked) {
  BalancerConfig c;
  c.toeplitz_key = {1, 2, 3, 4, 5, 6, 7, 8};  // hashes only 4 bytes; a key has 9
  EXPECT_FALSE(Balancer::Create(c).ok());
  BalancerConfig d;
  d.key_capacity = 1000;
  EXPECT_FALSE(Balancer::Create(d).ok());
  BalancerConfig e;
  e.hysteresis.min_hold_periods = 0;
  EXPECT_FALSE(Balancer::Create(e).ok());
}

}  // namespace
}  // namespace dmpd::lb
