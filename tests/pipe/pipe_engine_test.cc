// SPDX-License-Identifier: BSD-3-Clause
// The worker's side of pipes between two engines joined by in-memory ports: a message goes
// from an application's tx ring on node 1 into the destination pipe's rx ring on node 2
// with its sender and sequence; large messages are segmented and rebuilt; k copies arrive
// once; a frame for a pipe that is not open is counted, never delivered; no route, a port
// down and a threshold each do what docs/pipes.md says.
#include "userspace/pipe/pipe_engine.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <vector>

#include "common/frame_header.h"
#include "tests/pipe/engine_test_support.h"

namespace dmpd::pipe {
namespace {

using test_support::AppPipe;
using test_support::MemoryPorts;
using test_support::To;
using Node = test_support::EngineNode<MemoryPorts>;

// Moves every frame node `a` sent into node `b`, on the port its destination MAC names
// (MemoryPorts: the MAC's last byte), unless `lose(frame index, the frame as sent)`;
// returns how many arrived.
template <typename Lose>
size_t CarryUnless(Node& a, Node& b, Lose lose) {
  size_t n = 0;
  for (size_t i = 0; !a.ports.sent().empty(); a.ports.sent().pop_front(), ++i) {
    const auto& s = a.ports.sent().front();
    if (lose(i, s)) continue;
    const std::optional<DecodedFrame> f =
        ParseFrameHeader(std::span(s.frame).subspan(kEthHeaderLen), nullptr);
    EXPECT_TRUE(f.has_value());
    if (f) b.engine->OnDataFrame(s.frame[5], f->header, f->payload, b.now);
    ++n;
  }
  return n;
}
size_t Carry(Node& a, Node& b) {
  return CarryUnless(a, b, [](size_t, const MemoryPorts::Sent&) { return false; });
}

std::vector<std::byte> Bytes(size_t n, uint8_t seed) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(seed + i * 7);
  return v;
}

struct Got {
  MessageMeta meta;
  std::vector<std::byte> payload;
};
std::vector<Got> Drain(AppPipe& app) {
  std::vector<Got> out;
  MessageView v;
  while (app.rx->TryRead(&v) == ReadStatus::kOk) {
    out.push_back({v.meta, {v.payload.begin(), v.payload.end()}});
  }
  app.rx->Release();
  return out;
}

class PipeEngineTest : public ::testing::Test {
 protected:
  Node n1{1, 2}, n2{2, 2};
  AppPipe a, b;
  void SetUp() override {
    n1.RouteTo(n2);
    n2.RouteTo(n1);
    n1.Open(0, 10, a);
    n2.Open(3, 20, b);
  }
};

TEST_F(PipeEngineTest, AMessageReachesTheDestinationPipeWithItsSender) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, static_cast<uint8_t>(i))), PushStatus::kOk);
  }
  EXPECT_EQ(n1.engine->PollTx(n1.now), 3u);
  EXPECT_EQ(Carry(n1, n2), 3u);
  const std::vector<Got> got = Drain(b);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].meta.node, 1);
    EXPECT_EQ(got[i].meta.pipe, 10);
    EXPECT_EQ(got[i].meta.type, 5);
    EXPECT_EQ(got[i].meta.sequence, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[i].payload, Bytes(64, static_cast<uint8_t>(i)));
  }
  EXPECT_EQ(n1.engine->slot_counters(0).sent_messages.Get(), 3u);
  EXPECT_EQ(n2.engine->slot_counters(3).received_messages.Get(), 3u);
  EXPECT_EQ(n2.engine->counters().no_pipe.Get(), 0u);
}

TEST_F(PipeEngineTest, MessagesLargerThanAFrameAreSegmentedAndRebuilt) {
  for (size_t size : {1u, 1400u, 1500u, 9000u, 65536u}) {
    ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(size, 3)), PushStatus::kOk) << size;
    n1.engine->PollTx(n1.now);
    Carry(n1, n2);
    const std::vector<Got> got = Drain(b);
    ASSERT_EQ(got.size(), 1u) << size;
    EXPECT_EQ(got[0].payload, Bytes(size, 3)) << size;
  }
  EXPECT_EQ(n2.engine->counters().messages_reassembled.Get(), 3u);  // 1500, 9000, 65536
}

TEST_F(PipeEngineTest, AFrameForAPipeThatIsNotOpenIsCountedNotDelivered) {
  ASSERT_EQ(a.tx->TryPush(To(2, 21), Bytes(64, 1)), PushStatus::kOk);  // nobody has pipe 21
  n1.engine->PollTx(n1.now);
  Carry(n1, n2);
  EXPECT_TRUE(Drain(b).empty());
  EXPECT_EQ(n2.engine->counters().no_pipe.Get(), 1u);
}

TEST_F(PipeEngineTest, KCopiesGoOnDistinctPortsAndArriveOnce) {
  AppPipe k2;
  n1.Open(1, 11, k2, /*copies=*/2);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(k2.tx->TryPush(To(2, 20), Bytes(100, 9)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  std::set<size_t> ports;
  for (const auto& s : n1.ports.sent()) ports.insert(s.port);
  EXPECT_EQ(ports.size(), 2u);
  EXPECT_EQ(Carry(n1, n2), 20u);
  EXPECT_EQ(Drain(b).size(), 10u);
  EXPECT_EQ(n2.engine->slot_counters(3).duplicates.Get(), 10u);
  // One port down: the copies go on the other alone, counted as degraded.
  n1.ports.set_up(0, false);
  ASSERT_EQ(k2.tx->TryPush(To(2, 20), Bytes(100, 9)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  ASSERT_EQ(n1.ports.sent().size(), 1u);
  EXPECT_EQ(n1.ports.sent().front().port, 1u);
  Carry(n1, n2);
  EXPECT_EQ(Drain(b).size(), 1u);
  EXPECT_EQ(n1.engine->slot_counters(1).degraded_copies.Get(), 1u);
}

TEST_F(PipeEngineTest, WhatCannotBeSentIsNamedInACounter) {
  ASSERT_EQ(a.tx->TryPush(To(9, 20), Bytes(64, 1)), PushStatus::kOk);  // node 9 unknown
  n1.ports.set_up(0, false);
  n1.ports.set_up(1, false);
  ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);  // no port up
  n1.engine->PollTx(n1.now);
  EXPECT_EQ(n1.engine->slot_counters(0).dropped_no_route.Get(), 2u);
  n1.ports.set_up(0, true);
  n1.ports.set_no_buffers(true);
  ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  EXPECT_EQ(n1.engine->slot_counters(0).dropped_no_buffer.Get(), 1u);
  EXPECT_EQ(n1.engine->slot_counters(0).sent_messages.Get(), 0u);
}

// Without flow control (window 0), a full rx ring is a counted drop on that pipe.
TEST(PipeEngineRxFull, WithoutFlowControlAFullRingIsACountedDrop) {
  Node n1(1, 2, /*window_frames=*/0), n2(2, 2, 0);
  n1.RouteTo(n2);
  n2.RouteTo(n1);
  AppPipe a, small(1);  // the smallest rings: room for a few largest messages
  n1.Open(0, 10, a);
  n2.Open(4, 22, small);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(a.tx->TryPush(To(2, 22), Bytes(65536, 1)), PushStatus::kOk);
    n1.engine->PollTx(n1.now);
    Carry(n1, n2);
  }
  const SlotCounters& c = n2.engine->slot_counters(4);
  EXPECT_GE(c.dropped_rx_full.Get(), 1u);
  EXPECT_EQ(c.received_messages.Get() + c.dropped_rx_full.Get(), 5u);
  EXPECT_EQ(Drain(small).size(), c.received_messages.Get());
}

// With it, the receiver credits only what the destination ring has room for: a slow
// application holds its sender back, and nothing is lost.
TEST_F(PipeEngineTest, ASlowApplicationHoldsItsSenderBackInsteadOfLosing) {
  AppPipe small(1);
  n2.Open(4, 22, small);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(a.tx->TryPush(To(2, 22), Bytes(65536, 1)), PushStatus::kOk);
  size_t delivered = 0;
  for (int round = 0; round < 20 && delivered < 5; ++round) {
    n1.now += 1'000'000;
    n2.now += 1'000'000;
    n1.engine->PollTx(n1.now);
    Carry(n1, n2);
    n2.engine->PollTx(n2.now);
    Carry(n2, n1);
    if (round % 3 == 2) delivered += Drain(small).size();  // the application reads now and then
  }
  delivered += Drain(small).size();
  EXPECT_EQ(delivered, 5u);
  EXPECT_EQ(n2.engine->slot_counters(4).dropped_rx_full.Get(), 0u);
  EXPECT_GT(n2.engine->counters().credits_deferred.Get(), 0u);
}

TEST_F(PipeEngineTest, AThresholdHoldsThePipeToItsRate) {
  AppPipe limited;
  n1.Open(2, 12, limited, 1, /*rate=*/100'000);  // 100 kB/s, burst 100 kB
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(limited.tx->TryPush(To(2, 20), Bytes(1000, 1)), PushStatus::kOk);
  }
  // One simulated second, polled every 100 µs: the burst plus one second's rate.
  uint64_t sent = 0;
  for (uint64_t t = 0; t <= 1'000'000'000; t += 100'000) sent += n1.engine->PollTx(n1.now + t);
  EXPECT_NEAR(static_cast<double>(sent), 200.0, 3.0);
  EXPECT_GT(n1.engine->slot_counters(2).rate_limited_ns.Get(), 0u);
}

TEST_F(PipeEngineTest, ClosingReleasesTheRegionAndStopsDelivery) {
  EngineCommand c;
  c.op = EngineCommand::Op::kClose;
  c.slot = 3;
  const uint64_t before = n2.engine->closed_generation(3);
  n2.engine->Apply(c, n2.now);
  EXPECT_EQ(n2.engine->closed_generation(3), before + 1);
  ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  Carry(n1, n2);
  EXPECT_EQ(n2.engine->counters().no_pipe.Get(), 1u);
}

// Flow control: a sender holds at `window` frames in flight to a node until that node
// credits what it took off the wire; the held message stays in its ring (which fills, so
// the application sees kRingFull) and goes first once credit comes; no credit for the
// timeout writes the window off.
TEST(PipeEngineFlowControl, TheWindowHoldsASenderUntilTheReceiverCredits) {
  Node n1(1, 2, /*window_frames=*/8), n2(2, 2, 8);
  n1.RouteTo(n2);
  n2.RouteTo(n1);
  AppPipe a, b;
  n1.Open(0, 10, a);
  n2.Open(0, 20, b);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  EXPECT_EQ(n1.ports.sent().size(), 8u);  // the window
  EXPECT_GE(n1.engine->counters().window_stalls.Get(), 1u);
  n1.engine->PollTx(n1.now);
  EXPECT_EQ(n1.ports.sent().size(), 8u);  // still held: no credit yet
  EXPECT_GT(a.tx->FillBytes(), 0u);      // nothing released while a message is held
  Carry(n1, n2);
  n2.engine->PollTx(n2.now);  // its burst is over: it credits the 8 frames at once
  EXPECT_EQ(n2.engine->counters().credits_sent.Get(), 1u);
  Carry(n2, n1);
  EXPECT_EQ(n1.engine->counters().credits_received.Get(), 1u);
  size_t delivered = Drain(b).size();
  for (int round = 0; round < 5 && delivered < 20; ++round) {
    n1.now += 1'000'000;  // a credit is due again after credit_every_ns
    n2.now += 1'000'000;
    n1.engine->PollTx(n1.now);
    Carry(n1, n2);
    n2.engine->PollTx(n2.now);
    Carry(n2, n1);
    delivered += Drain(b).size();
  }
  EXPECT_EQ(delivered, 20u);
  EXPECT_EQ(n2.engine->slot_counters(0).received_messages.Get(), 20u);
  EXPECT_EQ(n1.engine->counters().credit_timeouts.Get(), 0u);
}

// Node 1 with a window of 4 frames has 10 messages for node 2 and has sent the first 4.
class FourFrameWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    n1.RouteTo(n2);
    n1.Open(0, 10, a);
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
    }
    n1.engine->PollTx(n1.now);
    ASSERT_EQ(n1.ports.sent().size(), 4u);
  }
  Node n1{1, 2, /*window_frames=*/4}, n2{2, 2, 4};
  AppPipe a;
};

TEST_F(FourFrameWindow, NoCreditForTheTimeoutWritesTheWindowOff) {
  n1.ports.sent().clear();  // lost on the wire: no credit will come
  n1.engine->PollTx(n1.now + 1'000'000);
  EXPECT_TRUE(n1.ports.sent().empty());
  n1.engine->PollTx(n1.now + 25'000'000);  // past the 20 ms timeout
  EXPECT_EQ(n1.engine->counters().credit_timeouts.Get(), 1u);
  EXPECT_EQ(n1.ports.sent().size(), 4u);
}

// REL-2 under loss: frames lost among delivered ones are settled by the next credit (it
// names the last frame that arrived on their path), so the window keeps its size. With
// cumulative counts they stayed in flight until a 20 ms timeout, every few windows.
TEST(PipeEngineFlowControl, FramesLostAmongDeliveredOnesLeaveTheWindowAtTheNextCredit) {
  Node n1(1, 2, /*window_frames=*/16), n2(2, 2, 16);
  n1.RouteTo(n2);
  n2.RouteTo(n1);
  AppPipe a, b;
  n1.Open(0, 10, a);
  n2.Open(0, 20, b);
  constexpr int kRounds = 50;  // of 1 ms, each a credit
  size_t carried = 0, delivered = 0;
  for (int round = 0; round < kRounds; ++round) {
    while (a.tx->TryPush(To(2, 20), Bytes(64, 1)) == PushStatus::kOk) {
    }
    n1.now += 1'000'000;
    n2.now += 1'000'000;
    while (n1.engine->PollTx(n1.now) > 0) {
    }
    // A quarter of the frames lost.
    carried += CarryUnless(n1, n2, [](size_t i, const MemoryPorts::Sent&) { return i % 4 == 3; });
    n2.engine->PollTx(n2.now);
    Carry(n2, n1);
    delivered += Drain(b).size();
  }
  const uint64_t sent = n1.engine->slot_counters(0).sent_frames.Get();
  EXPECT_GE(sent, kRounds * 15u) << "a window (16) a round, but for the one lost last";
  EXPECT_GE(carried, kRounds * 11u);
  EXPECT_EQ(delivered, carried);
  EXPECT_EQ(n1.engine->counters().credit_timeouts.Get(), 0u);
  EXPECT_EQ(n1.engine->counters().frames_written_off.Get(), 0u);
}

// A path that died while our port stays up (the far end's link down, not yet out of the
// route): its frames are never settled. Once frames sent 5 ms after them on the other path
// are, they are written off, so the pipe on the live path never waits for the 20 ms
// timeout, whatever share of the window the dead one took.
TEST(PipeEngineFlowControl, APipeOnALivePathKeepsDeliveringBesideADeadPath) {
  Node n1(1, 2, /*window_frames=*/128), n2(2, 2, 128);
  n1.RouteTo(n2);
  n2.RouteTo(n1);
  AppPipe live, dead, sink;
  n2.Open(0, 20, sink);
  // Two pipes that the hash puts on different ports; port 1's frames are lost.
  auto port_of = [&](uint16_t pipe, AppPipe& app) {
    n1.Open(1, pipe, app);
    EXPECT_EQ(app.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
    n1.engine->PollTx(n1.now);
    const size_t port = n1.ports.sent().back().port;
    Carry(n1, n2);
    Drain(sink);
    EngineCommand close;
    close.op = EngineCommand::Op::kClose;
    close.slot = 1;
    n1.engine->Apply(close, n1.now);
    return port;
  };
  uint16_t live_pipe = 10, dead_pipe = 11;
  while (port_of(live_pipe, live) != 0) ++live_pipe;
  dead_pipe = live_pipe + 1;
  while (port_of(dead_pipe, dead) != 1) ++dead_pipe;
  n1.Open(0, live_pipe, live);
  n1.Open(1, dead_pipe, dead);
  std::vector<size_t> live_per_round;
  int first_write_off = -1;
  for (int round = 0; round < 100; ++round) {
    for (AppPipe* app : {&live, &dead}) {
      while (app->tx->TryPush(To(2, 20), Bytes(64, 1)) == PushStatus::kOk) {
      }
    }
    n1.now += 1'000'000;
    n2.now += 1'000'000;
    while (n1.engine->PollTx(n1.now) > 0) {
    }
    CarryUnless(n1, n2, [](size_t, const MemoryPorts::Sent& f) { return f.port == 1; });
    n2.engine->PollTx(n2.now);
    Carry(n2, n1);
    size_t live_got = 0;
    for (const Got& g : Drain(sink)) live_got += g.meta.pipe == live_pipe ? 1 : 0;
    live_per_round.push_back(live_got);
    if (first_write_off < 0 && n1.engine->counters().frames_written_off.Get() > 0) {
      first_write_off = round;
    }
  }
  // Past the start, every 7 rounds (the 5 ms and a credit) the live pipe delivers.
  for (size_t r = 10; r + 7 <= live_per_round.size(); ++r) {
    size_t got = 0;
    for (size_t i = r; i < r + 7; ++i) got += live_per_round[i];
    EXPECT_GT(got, 0u) << "the live pipe waited from round " << r;
  }
  EXPECT_GE(first_write_off, 0);
  EXPECT_LE(first_write_off, 8) << "overtaken after 5 ms, not the 20 ms timeout";
  EXPECT_GT(n1.engine->slot_counters(1).sent_messages.Get(), 0u) << "the dead pipe sent too";
}

// More pipes than a poll has picks, all blocked on a node that takes nothing (its frames
// go nowhere, no credit comes): a pipe to another node is still served every poll. A
// pick that finds no room does not use up one of the poll's picks.
TEST(PipeEngineFlowControl, PipesBlockedOnOneNodeDoNotShutOutAPipeToAnother) {
  const uint32_t picks = EngineOptions{}.picks_per_poll;
  Node n1(1, 2, /*window_frames=*/16, /*max_pipes=*/picks + 4), n2(2, 2), n3(3, 2);
  n1.RouteTo(n2);
  n1.RouteTo(n3);
  n2.RouteTo(n1);
  AppPipe sink;
  n2.Open(0, 20, sink);
  std::vector<AppPipe> blocked(picks + 2);
  for (uint32_t i = 0; i < blocked.size(); ++i) {
    n1.Open(i, static_cast<uint16_t>(10 + i), blocked[i]);
  }
  AppPipe healthy;  // the last slot, so the blocked ones come first in each poll's order
  n1.Open(picks + 3, 50, healthy);
  size_t delivered = 0;
  for (int round = 0; round < 20; ++round) {
    for (AppPipe& b : blocked) {
      while (b.tx->TryPush(To(3, 30), Bytes(64, 1)) == PushStatus::kOk) {
      }
    }
    ASSERT_EQ(healthy.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
    n1.now += 100'000;  // well within the 20 ms write-off
    n2.now += 100'000;
    n1.engine->PollTx(n1.now);
    // Frames to node 3 (its MACs: 02:00:00:00:03:p) go nowhere.
    CarryUnless(n1, n2, [](size_t, const MemoryPorts::Sent& f) { return f.frame[4] == 3; });
    n2.engine->PollTx(n2.now);
    Carry(n2, n1);
    const size_t got = Drain(sink).size();
    EXPECT_EQ(got, 1u) << "round " << round;
    delivered += got;
  }
  EXPECT_EQ(delivered, 20u);
  EXPECT_GT(n1.engine->slot_counters(0).sent_messages.Get(), 0u);
}

// Pipes that yield to a higher one wait for it, not for a share of the window: they do not
// count among its sharers, so the higher pipe may still fill the window alone.
TEST(PipeEngineFlowControl, YieldingPipesDoNotShrinkTheHigherPipesShare) {
  Node n1(1, 2, /*window_frames=*/128), n2(2, 2, 128);
  n1.RouteTo(n2);
  AppPipe high, low1, low2, low3;
  n1.Open(0, 10, high, 1, 0, /*priority=*/7);
  n1.Open(1, 11, low1, 1, 0, /*priority=*/0);
  n1.Open(2, 12, low2, 1, 0, /*priority=*/0);
  n1.Open(3, 13, low3, 1, 0, /*priority=*/0);
  for (AppPipe* a : {&high, &low1, &low2, &low3}) {
    for (int i = 0; i < 200; ++i) ASSERT_EQ(a->tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  }
  while (n1.engine->PollTx(n1.now) > 0) {
  }
  EXPECT_EQ(n1.engine->slot_counters(0).sent_frames.Get(), 128u) << "the whole window";
  for (uint32_t slot : {1u, 2u, 3u}) {
    EXPECT_EQ(n1.engine->slot_counters(slot).sent_frames.Get(), 0u) << "slot " << slot;
  }
  EXPECT_GT(n1.engine->counters().yield_stalls.Get(), 0u);
}

// Our port going down loses what it held: written off at once, and the pipe moves on to
// the other port without waiting for a credit or the timeout.
TEST_F(FourFrameWindow, APortGoingDownWritesOffItsFramesAtOnce) {
  const size_t port = n1.ports.sent().front().port;
  n1.ports.sent().clear();
  n1.ports.set_up(port, false);
  n1.engine->PollTx(n1.now);
  EXPECT_EQ(n1.engine->counters().frames_written_off.Get(), 4u);
  EXPECT_EQ(n1.engine->counters().credit_timeouts.Get(), 0u);
  ASSERT_EQ(n1.ports.sent().size(), 4u);
  EXPECT_NE(n1.ports.sent().front().port, port);
}

TEST(PipeEngineFlowControl, AMessageLargerThanTheWindowGoesAlone) {
  Node n1(1, 2, /*window_frames=*/4), n2(2, 2, 4);
  n1.RouteTo(n2);
  n2.RouteTo(n1);
  AppPipe a, b;
  n1.Open(0, 10, a);
  n2.Open(0, 20, b);
  ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(65536, 2)), PushStatus::kOk);  // 45 frames
  n1.engine->PollTx(n1.now);
  Carry(n1, n2);
  ASSERT_EQ(Drain(b).size(), 1u);
}

// Priority beyond our own rings: while a higher-priority pipe sends, a lower one keeps at
// most yield_window_frames in flight, so few of its frames queue ahead of the higher one's
// in the ports and at the receiver; with no higher one active for yield_active_ns it has
// the whole window again.
// A priority-0 bulk pipe and a priority-7 urgent one on node 1, both to node 2's sink.
class BulkBesideUrgent : public ::testing::Test {
 protected:
  void SetUp() override {
    n1.RouteTo(n2);
    n2.RouteTo(n1);
    n1.Open(0, 10, bulk, 1, 0, /*priority=*/0);
    n1.Open(1, 11, urgent, 1, 0, /*priority=*/7);
    n2.Open(0, 20, sink);
  }
  uint32_t PollAll() {  // until nothing more goes (a pipe is picked once a poll)
    uint32_t sent = 0;
    for (uint32_t n; (n = n1.engine->PollTx(n1.now)) > 0;) sent += n;
    return sent;
  }
  Node n1{1, 2}, n2{2, 2};
  AppPipe bulk, urgent, sink;
  const EngineOptions o;
};

TEST_F(BulkBesideUrgent, ALowerPriorityKeepsLittleInFlightWhileAHigherOneSends) {
  auto push = [](AppPipe& a, int n) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  };
  // Node 2 takes everything node 1 sent and credits it.
  auto deliver_and_credit = [&] {
    const size_t n = Carry(n1, n2);
    n2.now += 2 * o.credit_every_ns;
    n2.engine->PollTx(n2.now);
    Carry(n2, n1);
    Drain(sink);
    return n;
  };
  push(bulk, 400);
  EXPECT_EQ(PollAll(), 400u) << "alone, the bulk pipe has the whole window";
  EXPECT_EQ(deliver_and_credit(), 400u);
  push(urgent, 1);
  push(bulk, 400);
  EXPECT_EQ(PollAll(), o.yield_window_frames) << "the urgent message, then a yield window";
  EXPECT_GT(n1.engine->counters().yield_stalls.Get(), 0u);
  EXPECT_EQ(n1.engine->counters().window_stalls.Get(), 0u);
  EXPECT_EQ(deliver_and_credit(), o.yield_window_frames);
  n1.now += 1'000'000;  // still within yield_active_ns of the urgent message
  EXPECT_EQ(PollAll(), o.yield_window_frames) << "one more yield window per credit";
  EXPECT_EQ(deliver_and_credit(), o.yield_window_frames);
  n1.now += o.yield_active_ns;  // the urgent pipe quiet: the whole window again
  EXPECT_EQ(PollAll(), 400u - 2 * o.yield_window_frames + 1);
  EXPECT_EQ(n1.engine->counters().credit_timeouts.Get(), 0u);
}

// The yield window's bytes are DMPD payload, data headers included: 4 KiB holds three
// frames of 1 KiB messages, not four (docs/pipes.md 5).
TEST_F(BulkBesideUrgent, TheYieldWindowsBytesCountTheDataHeaders) {
  ASSERT_EQ(o.yield_window_bytes, 4096u);
  ASSERT_EQ(urgent.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(bulk.tx->TryPush(To(2, 20), Bytes(1024, 2)), PushStatus::kOk);
  }
  EXPECT_EQ(PollAll(), 4u) << "the urgent message and three bulk ones (the frame limit)";
  Carry(n1, n2);
  n2.now += 2 * o.credit_every_ns;
  n2.engine->PollTx(n2.now);
  Carry(n2, n1);
  n1.now += 1'000'000;  // still within yield_active_ns of the urgent message
  EXPECT_EQ(PollAll(), 3u) << "bulk alone: 3 x (1024 + 16) B fit in 4 KiB, a fourth not";
}

TEST(PipeEngineFlowControl, CreditsComeOnlyForNodesWithARoute) {
  Node n1(1, 2), n2(2, 2);
  n1.RouteTo(n2);  // n2 has no route back: it cannot credit, and keeps no peer for n1
  AppPipe a, b;
  n1.Open(0, 10, a);
  n2.Open(0, 20, b);
  ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 1)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  Carry(n1, n2);
  n2.engine->PollTx(n2.now);
  EXPECT_EQ(n2.engine->counters().credits_sent.Get(), 0u);
  EXPECT_EQ(Drain(b).size(), 1u);
}

}  // namespace
}  // namespace dmpd::pipe

namespace dmpd::pipe {
namespace {

// PIPE-2, "ask for more buffer": both of a pipe's rings move to larger ones while messages
// are in flight both ways. The sender's old tx ring is sent to its end before the new one
// is read; the receiver's old rx ring holds what was delivered before, the new one what
// came after; the application that reads the old ring to its end and follows gets every
// message once and in order.
TEST_F(PipeEngineTest, AResizeMidStreamLosesAndReordersNothing) {
  // Node 1's application has 3 messages queued; it finishes the ring and sends 3 more into
  // the new one before the worker has even seen the resize.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, i)), PushStatus::kOk);
  AppPipe a2(4 << 20);
  EXPECT_FALSE(a.tx->Finish());
  for (int i = 3; i < 6; ++i) ASSERT_EQ(a2.tx->TryPush(To(2, 20), Bytes(64, i)), PushStatus::kOk);
  // The worker asleep meanwhile would be woken: the new ring has messages.
  n1.Resize(0, a2);
  EXPECT_EQ(n1.engine->resized_generation(0), 0u);  // 3 messages left in the old ring
  EXPECT_FALSE(n1.engine->PrepareToSleep());
  // Node 2 delivers two of them before its pipe is resized, the rest after.
  EXPECT_EQ(n1.engine->PollTx(n1.now), 3u);  // the old ring first, whole
  ASSERT_EQ(Carry(n1, n2), 3u);
  std::vector<Got> got = Drain(b);
  EXPECT_FALSE(b.rx->Drained());  // not finished yet
  AppPipe b2(4 << 20);
  ASSERT_TRUE(b.rx->PrepareToSleep());  // node 2's application sleeps on its old ring
  n2.Resize(3, b2);
  EXPECT_EQ(n2.rung, std::vector<uint32_t>{3});  // woken: the old ring is finished
  b.rx->StopSleeping();
  EXPECT_EQ(n1.engine->PollTx(n1.now), 3u);  // then the new one
  EXPECT_EQ(n1.engine->resized_generation(0), 1u);
  EXPECT_EQ(n1.engine->counters().resizes.Get(), 1u);
  ASSERT_EQ(Carry(n1, n2), 3u);

  EXPECT_TRUE(Drain(b).empty());
  EXPECT_TRUE(b.rx->Drained());
  EXPECT_FALSE(b2.rx->Drained());
  const std::vector<Got> after = Drain(b2);
  got.insert(got.end(), after.begin(), after.end());
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(after.size(), 3u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(got[i].meta.sequence, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[i].payload, Bytes(64, static_cast<uint8_t>(i)));
  }
  // Node 2's tx ring moved too, with nothing in it: at once.
  EXPECT_EQ(n2.engine->resized_generation(3), 0u);  // its application has not finished it
  EXPECT_FALSE(b.tx->Finish());
  n2.engine->PollTx(n2.now);
  EXPECT_EQ(n2.engine->resized_generation(3), 1u);
}

TEST_F(PipeEngineTest, AResizeWaitsForTheMessageHeldForCredit) {
  Node s1{1, 2, /*window_frames=*/2}, s2{2, 2};
  AppPipe x, y;
  s1.RouteTo(s2);
  s2.RouteTo(s1);
  s1.Open(0, 10, x);
  s2.Open(0, 20, y);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(x.tx->TryPush(To(2, 20), Bytes(64, i)), PushStatus::kOk);
  EXPECT_EQ(s1.engine->PollTx(s1.now), 2u);  // the third waits for credit, in the ring
  AppPipe x2;
  EXPECT_FALSE(x.tx->Finish());
  ASSERT_EQ(x2.tx->TryPush(To(2, 20), Bytes(64, 3)), PushStatus::kOk);
  s1.Resize(0, x2);
  s1.engine->PollTx(s1.now);
  EXPECT_EQ(s1.engine->resized_generation(0), 0u);  // the held message still points there
  // Credit arrives (node 2 credits what it received after credit_every_ns).
  Carry(s1, s2);
  s2.now += 2'000'000;
  s2.engine->PollTx(s2.now);
  Carry(s2, s1);
  s1.engine->PollTx(s1.now);  // sends the held message, drains the old ring
  s1.engine->PollTx(s1.now);  // moves to the new ring, sends its message
  EXPECT_EQ(s1.engine->resized_generation(0), 1u);
  Carry(s1, s2);
  const std::vector<Got> got = Drain(y);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i].payload, Bytes(64, static_cast<uint8_t>(i)));
}

// A pipe closed and opened again numbers its messages from 1 anew: the receiver must not
// take them for duplicates of the first incarnation's (they carry the next epoch), and a
// frame of the first incarnation still in flight is dropped as stale, not delivered.
TEST_F(PipeEngineTest, APipeOpenedAgainIsDeliveredFromItsFirstMessage) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, i)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  Carry(n1, n2);
  ASSERT_EQ(Drain(b).size(), 3u);
  // One more of the first incarnation, still on the wire when the pipe closes.
  ASSERT_EQ(a.tx->TryPush(To(2, 20), Bytes(64, 9)), PushStatus::kOk);
  n1.engine->PollTx(n1.now);
  std::deque<MemoryPorts::Sent> in_flight;
  std::swap(in_flight, n1.ports.sent());
  EngineCommand close;
  close.op = EngineCommand::Op::kClose;
  close.slot = 0;
  n1.engine->Apply(close, n1.now);
  AppPipe again;
  n1.Open(1, 10, again);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(again.tx->TryPush(To(2, 20), Bytes(64, 100 + i)), PushStatus::kOk);
  }
  n1.engine->PollTx(n1.now);
  ASSERT_EQ(Carry(n1, n2), 2u);
  std::swap(in_flight, n1.ports.sent());  // the straggler arrives last
  ASSERT_EQ(Carry(n1, n2), 1u);
  const std::vector<Got> got = Drain(b);
  ASSERT_EQ(got.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(got[i].meta.sequence, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[i].payload, Bytes(64, static_cast<uint8_t>(100 + i)));
  }
  EXPECT_EQ(n2.engine->slot_counters(3).duplicates.Get(), 0u);
  EXPECT_EQ(n2.engine->counters().stale_incarnation.Get(), 1u);
}

}  // namespace
}  // namespace dmpd::pipe
