// SPDX-License-Identifier: BSD-3-Clause
// Peer receipts (eq. 2's two counts per sender port): distinct frames heard against the
// sequence numbers spanned, a frame heard on two ports counted once, a restarted sender
// counted afresh, the table bounded; and the control channel filling them from what it
// accepts, and only that.
#include "userspace/control/peer_receipts.h"

#include <gtest/gtest.h>

#include "common/hello.h"
#include "tests/support/memory_transport.h"
#include "userspace/control/control_channel.h"

namespace dmpd {
namespace {

using testing::MemoryTransport;

TEST(PeerReceipts, CountsWhatArrivedAgainstTheNumbersSpanned) {
  PeerReceipts r;
  for (uint32_t seq : {10u, 11u, 13u, 14u, 17u}) r.Record(1, 0, seq);
  const Receipt* got = r.Find(1, 0);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->received, 5u);
  EXPECT_EQ(got->numbered, 8u);  // 10..17
  EXPECT_EQ(r.Find(1, 1), nullptr);
  EXPECT_EQ(r.Find(2, 0), nullptr);
}

TEST(PeerReceipts, ACopyOnAnotherPortOrALateFrameCountsOnce) {
  PeerReceipts r;
  r.Record(1, 0, 100);
  r.Record(1, 0, 102);
  r.Record(1, 0, 102);  // the same broadcast, heard on a second local port
  r.Record(1, 0, 101);  // late, but within the window
  r.Record(1, 0, 101);
  EXPECT_EQ(r.Find(1, 0)->received, 3u);
  EXPECT_EQ(r.Find(1, 0)->numbered, 3u);
}

TEST(PeerReceipts, TheWrapOfTheSequenceIsJustMoreNumbers) {
  PeerReceipts r;
  r.Record(1, 0, 0xFFFFFFFE);
  r.Record(1, 0, 1);  // 0xFFFFFFFF and 0 lost
  EXPECT_EQ(r.Find(1, 0)->received, 2u);
  EXPECT_EQ(r.Find(1, 0)->numbered, 4u);
  EXPECT_EQ(r.restarts(), 0u);
}

TEST(PeerReceipts, ARestartedSenderStartsOver) {
  PeerReceipts r;
  for (uint32_t seq = 5000; seq < 5100; ++seq) r.Record(2, 1, seq);
  r.Record(2, 1, 0);  // its daemon restarted: numbering from 0 again
  r.Record(2, 1, 1);
  EXPECT_EQ(r.restarts(), 1u);
  EXPECT_EQ(r.Find(2, 1)->received, 2u);
  EXPECT_EQ(r.Find(2, 1)->numbered, 2u);
}

TEST(PeerReceipts, TheTableIsBounded) {
  PeerReceipts r(/*max_senders=*/3);
  r.Record(1, 0, 0);
  r.Record(1, 1, 0);
  r.Record(2, 0, 0);
  r.Record(3, 0, 0);         // a fourth sender port: refused
  r.Record(4, 65000, 0);     // a port no node has: refused, whatever the room
  r.Record(1, 0, 1);         // known ones go on counting
  EXPECT_EQ(r.senders(), 3u);
  EXPECT_EQ(r.refused(), 2u);
  EXPECT_EQ(r.Find(3, 0), nullptr);
  EXPECT_EQ(r.Find(1, 0)->received, 2u);
  int ports_of_1 = 0;
  r.ForNode(1, [&](uint16_t, const Receipt&) { ++ports_of_1; });
  EXPECT_EQ(ports_of_1, 2);
}

TEST(PeerReceipts, TheChannelCountsAcceptedFramesOnceAcrossItsPorts) {
  MemoryTransport a({{0x02, 0, 0, 0, 1, 0}});
  MemoryTransport b({{0x02, 0, 0, 0, 2, 0}, {0x02, 0, 0, 0, 2, 1}});
  ControlChannelOptions options{.cluster_id = 7, .node = 1, .ethertype = DMPD_ETHERTYPE_DEFAULT,
                                .mtu = 1500, .auth = nullptr, .epoch = 1};
  ControlChannel sender(options, a);
  options.node = 2;
  ControlChannel receiver(options, b);
  receiver.On(DMPD_KIND_HELLO, [](const Message&, const ReceivedOn&) {});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(sender.Send(0, Hello{}).ok());
  for (size_t i = 0; i < a.sent()[0].size(); ++i) {
    if (i % 4 == 1) continue;  // lost on the wire
    receiver.Receive(0, a.sent()[0][i], 1);
    receiver.Receive(1, a.sent()[0][i], 1);  // one LAN: the other port hears it too
  }
  // A frame of node 1 from another cluster is not accepted, so it is not counted.
  std::vector<uint8_t> foreign = a.sent()[0].back();
  foreign[14 + 4] ^= 0xFF;  // cluster_id
  receiver.Receive(0, foreign, 1);
  const Receipt* got = receiver.receipts().Find(1, 0);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->received, 15u);
  EXPECT_EQ(got->numbered, 20u);  // 0..19: R_loss = 1 − 15/20
}

}  // namespace
}  // namespace dmpd
