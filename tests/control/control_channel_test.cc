// SPDX-License-Identifier: BSD-3-Clause
// The control channel: what one node sends, another decodes and dispatches; what does not
// decode reaches no module and is counted per port by reason (REL-1).
#include "userspace/control/control_channel.h"

#include <gtest/gtest.h>

#include "common/byte_order.h"
#include "tests/support/frame_builder.h"
#include "tests/support/memory_transport.h"

namespace dmpd {
namespace {

using testing::FrameBuilder;
using testing::MemoryTransport;

const MacAddress kMacA0{0x02, 0, 0, 0, 1, 0}, kMacA1{0x02, 0, 0, 0, 1, 1};
const MacAddress kMacB0{0x02, 0, 0, 0, 2, 0};

ControlChannelOptions Options(uint16_t node) {
  return {.cluster_id = 7, .node = node, .ethertype = DMPD_ETHERTYPE_DEFAULT, .mtu = 1500,
          .auth = nullptr, .epoch = 1};
}

std::vector<uint8_t> Tlv(uint16_t type, std::vector<uint8_t> value) {
  std::vector<uint8_t> t(4);
  StoreBe16(t.data(), type);
  StoreBe16(t.data() + 2, static_cast<uint16_t>(value.size()));
  t.insert(t.end(), value.begin(), value.end());
  return t;
}

std::vector<uint8_t> Concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class ControlChannelTest : public ::testing::Test {
 protected:
  MemoryTransport a_{{kMacA0, kMacA1}};
  MemoryTransport b_{{kMacB0}};
  ControlChannel sender_{Options(1), a_};
  ControlChannel receiver_{Options(2), b_};
  std::vector<std::pair<Message, ReceivedOn>> got_;

  void SetUp() override {
    receiver_.On(DMPD_KIND_HELLO,
                 [this](const Message& m, const ReceivedOn& from) { got_.emplace_back(m, from); });
  }

  // A hello from node 3 port 1 with `body` as its payload, into the receiver's port 0.
  void Inject(std::vector<uint8_t> body, uint16_t flags = 0, uint16_t node = 3) {
    FrameHeader h{.kind = DMPD_KIND_HELLO, .flags = flags, .cluster_id = 7, .sender_node = node,
                  .sender_port = 1, .sequence = 9};
    receiver_.Receive(0, FrameBuilder().Header(h).Payload(std::move(body)).PadToMinimum().Build(),
                      1000);
  }
  uint64_t Rejected(DecodeError e) const {
    return receiver_.stats(0).rejected[static_cast<size_t>(e)];
  }
};

TEST_F(ControlChannelTest, HelloOnEveryPortReachesTheRegisteredModule) {
  Hello hello;
  hello.port_count = 2;
  hello.name = "node1";
  ASSERT_TRUE(sender_.SendOnAllPorts(hello).ok());
  ASSERT_EQ(a_.sent()[0].size(), 1u);
  ASSERT_EQ(a_.sent()[1].size(), 1u);
  EXPECT_EQ(a_.flushes(), 1);  // one wake-up for the batch
  const std::vector<uint8_t>& frame = a_.sent()[1][0];
  EXPECT_GE(frame.size(), 60u);
  EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 6),
            std::vector<uint8_t>(6, 0xff));  // broadcast
  EXPECT_EQ(std::vector<uint8_t>(frame.begin() + 6, frame.begin() + 12),
            std::vector<uint8_t>(kMacA1.begin(), kMacA1.end()));
  receiver_.Receive(0, frame, 1000);
  ASSERT_EQ(got_.size(), 1u);
  const auto& [m, from] = got_[0];
  EXPECT_EQ(m.header.sender_node, 1);
  EXPECT_EQ(m.header.sender_port, 1);
  EXPECT_EQ(std::get<Hello>(m.body), hello);
  EXPECT_EQ(from.src_mac, kMacA1);
  EXPECT_EQ(receiver_.stats(0).received, 1u);
}

TEST_F(ControlChannelTest, SequenceNumbersArePerPort) {
  ASSERT_TRUE(sender_.Send(0, Hello{}).ok());
  ASSERT_TRUE(sender_.Send(0, Hello{}).ok());
  ASSERT_TRUE(sender_.Send(1, Hello{}).ok());
  for (const auto& f : a_.sent()[0]) receiver_.Receive(0, f, 1);
  for (const auto& f : a_.sent()[1]) receiver_.Receive(0, f, 1);
  ASSERT_EQ(got_.size(), 3u);
  EXPECT_EQ(got_[0].first.header.sequence, 0u);
  EXPECT_EQ(got_[1].first.header.sequence, 1u);
  EXPECT_EQ(got_[2].first.header.sequence, 0u);
}

TEST_F(ControlChannelTest, AKindNobodyHandlesIsCountedNotDropped) {
  ASSERT_TRUE(sender_.Send(0, Leave{}).ok());
  receiver_.Receive(0, a_.sent()[0][0], 1);
  EXPECT_TRUE(got_.empty());
  EXPECT_EQ(receiver_.stats(0).unhandled, 1u);
}

TEST_F(ControlChannelTest, TransportRefusalsAreCounted) {
  a_.set_refuse(true);
  ASSERT_TRUE(sender_.SendOnAllPorts(Hello{}).ok());
  EXPECT_EQ(sender_.stats(0).send_failed, 1u);
  EXPECT_EQ(sender_.stats(1).send_failed, 1u);
  EXPECT_EQ(sender_.stats(0).sent, 0u);
}

// The hello defects that used to become neighbours: each is rejected, by its reason, and
// no module sees it.
TEST_F(ControlChannelTest, DefectiveHellosReachNoModule) {
  const std::vector<uint8_t> mac = Tlv(0x0020, {2, 0, 0, 0, 3, 1});
  std::vector<uint8_t> past_end = mac;
  StoreBe16(past_end.data() + 2, 200);
  Inject(past_end);
  EXPECT_EQ(Rejected(DecodeError::kTlvPastEnd), 1u);
  Inject({0x00, 0x20, 0x00});  // 3 bytes: not even a TLV header
  EXPECT_EQ(Rejected(DecodeError::kTruncatedTlv), 1u);
  Inject(Tlv(0x8fff, {1, 2, 3}));  // critical and unknown
  EXPECT_EQ(Rejected(DecodeError::kUnknownCriticalTlv), 1u);
  Inject(Concat(mac, mac));
  EXPECT_EQ(Rejected(DecodeError::kDuplicateField), 1u);
  Inject(Tlv(0x0023, std::vector<uint8_t>(300, 'n')));  // a 300-byte name
  EXPECT_EQ(Rejected(DecodeError::kBadValue), 1u);
  Inject(mac, DMPD_HDR_F_AUTH);  // signed, but this node has no key (and no trailer)
  EXPECT_EQ(Rejected(DecodeError::kUnexpectedMac), 1u);
  EXPECT_TRUE(got_.empty());
  Inject(mac);  // and a good one still passes
  EXPECT_EQ(got_.size(), 1u);
}

// On one LAN every local port hears the same frame; with a key, each port's copy is
// checked against that port's replay window, so neither is taken for a replay.
TEST(ControlChannelKeyed, EveryPortHearsTheSameSignedFrameOnce) {
  const std::vector<uint8_t> key(32, 0x5a);
  auto auth = FrameAuth::Create(key);
  ASSERT_TRUE(auth.ok());
  ControlChannelOptions o = Options(1);
  o.auth = auth->get();
  MemoryTransport a({kMacA0}), b({kMacB0, kMacA1});
  ControlChannel sender(o, a);
  o.node = 2;
  ControlChannel receiver(o, b);
  int heard = 0;
  receiver.On(DMPD_KIND_HELLO, [&](const Message&, const ReceivedOn&) { ++heard; });
  ASSERT_TRUE(sender.Send(0, Hello{}).ok());
  receiver.Receive(0, a.sent()[0][0], 1);
  receiver.Receive(1, a.sent()[0][0], 1);
  EXPECT_EQ(heard, 2);
  receiver.Receive(1, a.sent()[0][0], 1);  // a real replay on one port
  EXPECT_EQ(heard, 2);
  EXPECT_EQ(receiver.stats(1).rejected[static_cast<size_t>(DecodeError::kReplay)], 1u);
  // Unsigned, or signed with another key: refused.
  ControlChannelOptions plain = Options(3);
  ControlChannel unsigned_sender(plain, a);
  ASSERT_TRUE(unsigned_sender.Send(0, Hello{}).ok());
  receiver.Receive(0, a.sent()[0][1], 1);
  EXPECT_EQ(receiver.stats(0).rejected[static_cast<size_t>(DecodeError::kMissingMac)], 1u);
  auto other = FrameAuth::Create(std::vector<uint8_t>(32, 0x11));
  ControlChannelOptions wrong = Options(4);
  wrong.auth = other->get();
  ControlChannel wrong_sender(wrong, a);
  ASSERT_TRUE(wrong_sender.Send(0, Hello{}).ok());
  receiver.Receive(0, a.sent()[0][2], 1);
  EXPECT_EQ(receiver.stats(0).rejected[static_cast<size_t>(DecodeError::kBadMac)], 1u);
  EXPECT_EQ(heard, 2);
}

TEST_F(ControlChannelTest, FramesThatAreNotDmpdOrOfAnotherClusterAreCounted) {
  receiver_.Receive(0, FrameBuilder().Ethertype(0x0800).PadToMinimum().Build(), 1);
  EXPECT_EQ(Rejected(DecodeError::kNotDmpd), 1u);
  receiver_.Receive(0, std::vector<uint8_t>(10, 0), 1);
  EXPECT_EQ(Rejected(DecodeError::kTruncatedEthernet), 1u);
  FrameHeader other{.kind = DMPD_KIND_HELLO, .cluster_id = 8, .sender_node = 3};
  receiver_.Receive(0, FrameBuilder().Header(other).PadToMinimum().Build(), 1);
  EXPECT_EQ(Rejected(DecodeError::kOtherCluster), 1u);
  receiver_.Receive(5, FrameBuilder().PadToMinimum().Build(), 1);  // no such port: ignored
  EXPECT_TRUE(got_.empty());
}

}  // namespace
}  // namespace dmpd
