// SPDX-License-Identifier: BSD-3-Clause
// Neighbour discovery under virtual time: hellos every interval on every port, neighbours
// learnt from decoded hellos only, a bounded table whose refusals are counted, and a
// status that stays small at the bound (REL-5).
#include "userspace/daemon/neighbour_discovery.h"

#include <gtest/gtest.h>

#include "tests/support/memory_transport.h"

namespace dmpd {
namespace {

using nlohmann::json;
using testing::MemoryTransport;

constexpr uint64_t kMs = 1'000'000;
const MacAddress kMac0{0x02, 0, 0, 0, 1, 0}, kMac1{0x02, 0, 0, 0, 1, 1};

ControlChannelOptions Channel(uint16_t node) {
  return {.cluster_id = 1, .node = node, .ethertype = DMPD_ETHERTYPE_DEFAULT, .mtu = 1500,
          .auth = nullptr, .epoch = 1};
}

class NeighbourDiscoveryTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  TimerQueue timers_{clock_};
  MemoryTransport wire_{{kMac0, kMac1}};
  ControlChannel channel_{Channel(1), wire_};
  NeighbourDiscovery nd_{{.hello_interval_ns = 100 * kMs, .timeout_intervals = 5,
                          .max_neighbours = 20, .name = "node1"},
                         channel_, timers_};
  // Other nodes' hellos, made by their own channels.
  MemoryTransport peer_wire_{{kMac0}};

  void HearFrom(uint16_t node, uint16_t port, size_t local_port) {
    ControlChannel peer(Channel(node), peer_wire_);
    peer_wire_.sent()[0].clear();
    Hello h;
    ASSERT_TRUE(peer.Send(0, h).ok());
    std::vector<uint8_t> frame = peer_wire_.sent()[0][0];
    frame[kEthHeaderLen + 10] = static_cast<uint8_t>(port >> 8);  // sender_port, be16
    frame[kEthHeaderLen + 11] = static_cast<uint8_t>(port);
    channel_.Receive(local_port, frame, clock_.MonotonicNs());
  }
};

TEST_F(NeighbourDiscoveryTest, SendsAHelloOnEveryPortEachInterval) {
  timers_.RunDue();  // the first at once
  EXPECT_EQ(wire_.sent()[0].size(), 1u);
  EXPECT_EQ(wire_.sent()[1].size(), 1u);
  clock_.Advance(100 * kMs);
  timers_.RunDue();
  EXPECT_EQ(wire_.sent()[1].size(), 2u);
  // What it sends decodes as a hello naming this port.
  MemoryTransport other({kMac0});
  ControlChannel rx(Channel(9), other);
  std::optional<Hello> got;
  rx.On(DMPD_KIND_HELLO, [&](const Message& m, const ReceivedOn&) { got = std::get<Hello>(m.body); });
  rx.Receive(0, wire_.sent()[1][1], 0);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->port_mac, kMac1);
  EXPECT_EQ(got->port_count, 2);
  EXPECT_EQ(got->name, "node1");
}

TEST_F(NeighbourDiscoveryTest, LearnsAndForgetsNeighbours) {
  HearFrom(2, 0, 0);
  HearFrom(2, 1, 0);
  HearFrom(3, 0, 1);
  EXPECT_EQ(nd_.table().size(), 3u);
  EXPECT_EQ(nd_.hellos_received(0), 2u);
  clock_.Advance(400 * kMs);
  HearFrom(2, 0, 0);  // still talking
  clock_.Advance(200 * kMs);
  timers_.RunDue();
  EXPECT_EQ(nd_.table().size(), 1u);
  EXPECT_EQ(nd_.expired(), 2u);
}

TEST_F(NeighbourDiscoveryTest, TableIsBoundedAndStatusStaysSmall) {
  for (uint16_t node = 100; node < 200; ++node) HearFrom(node, 0, 0);
  EXPECT_EQ(nd_.table().size(), 20u);
  EXPECT_EQ(nd_.refused(), 80u);
  HearFrom(100, 0, 0);  // a known one is still refreshed
  EXPECT_EQ(nd_.table().On(0)[0].hellos, 2u);
  CommandRegistry commands;
  commands.AddStatusSection([](json& s) { s["ports"] = json::array({json::object(), json::object()}); });
  nd_.Register({"p0", "p1"}, commands);
  json s = commands.Status();
  EXPECT_EQ(s["neighbour_table"]["entries"], 20);
  EXPECT_EQ(s["neighbour_table"]["refused"], 80);
  EXPECT_EQ(s["ports"][0]["neighbours_total"], 20);
  EXPECT_LE(s["ports"][0]["neighbours"].size(), NeighbourDiscovery::kNeighboursShown);
  json page = json::parse(commands.Handle("neighbours 0 15"));
  EXPECT_EQ(page["neighbours"].size(), 5u);
  EXPECT_EQ(page["neighbours"][0]["node"], 115);
  EXPECT_TRUE(json::parse(commands.Handle("neighbours 9")).contains("error"));
  // The port by its interface's name, as every PORT operand takes it.
  EXPECT_EQ(json::parse(commands.Handle("neighbours p0 15")), page);
  EXPECT_EQ(json::parse(commands.Handle("neighbours p1"))["port"], 1);
  EXPECT_EQ(json::parse(commands.Handle("neighbours p3"))["error"],
            "no port 'p3' (did you mean 'p0'?): PORT is an index 0..1 or a name (p0, p1)");
}

}  // namespace
}  // namespace dmpd
