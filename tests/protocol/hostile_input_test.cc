// SPDX-License-Identifier: BSD-3-Clause
// Hostile input (REL-1): every golden frame cut at every offset, every length field set
// past its end and to 0xFFFF, unknown kinds and TLVs, wrong version and cluster, broken
// field groups and limits. Each must be refused with the right reason (and the test build
// runs under ASan+UBSan, so a read past the buffer fails the test too).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_kind.h"
#include "common/frame_receiver.h"
#include "common/hello.h"
#include "common/protocol_limits.h"
#include "common/protocol_samples.h"
#include "tests/protocol/protocol_test_util.h"

namespace dmpd {
namespace {

using testing::Reason;
using testing::SampleFrame;

absl::StatusOr<std::optional<Message>> Receive(std::span<const uint8_t> frame) {
  FrameReceiver rx(ReceiverOptions(kSampleCluster));
  return rx.Receive(frame, 0);
}

std::optional<DecodeError> ReasonOf(std::span<const uint8_t> frame) {
  return Reason(Receive(frame).status());
}

void SetPayloadLen(std::vector<uint8_t>* f) {
  StoreBe16(f->data() + 16, static_cast<uint16_t>(f->size() - kFrameHeaderLen));
}

class Hostile : public ::testing::TestWithParam<MessageBody> {
 protected:
  std::vector<uint8_t> frame_ = SampleFrame(GetParam());
  uint8_t kind() const { return KindOf(GetParam()); }
};

TEST_P(Hostile, CutAnywhereWithoutFixingTheLength) {
  for (size_t len = 0; len < frame_.size(); ++len) {
    EXPECT_EQ(ReasonOf(std::span(frame_).first(len)),
              len < kFrameHeaderLen ? DecodeError::kTruncatedHeader : DecodeError::kPayloadPastEnd)
        << "cut at " << len;
  }
}

// A payload cut short with a matching payload_len: refused inside a TLV; at a TLV boundary
// either refused for a missing field or decoded to exactly what the prefix says.
TEST_P(Hostile, CutAnywhereWithTheLengthFixed) {
  const std::vector<size_t> bounds = testing::TopLevelBoundaries(frame_);
  for (size_t len = kFrameHeaderLen; len < frame_.size(); ++len) {
    std::vector<uint8_t> cut(frame_.begin(), frame_.begin() + len);
    SetPayloadLen(&cut);
    auto r = Receive(cut);
    if (kind() == DMPD_KIND_DATA) {
      if (len - kFrameHeaderLen < kDataHeaderLen) {
        EXPECT_EQ(Reason(r.status()), DecodeError::kFieldTooShort) << len;
      } else {
        ASSERT_TRUE(r.ok()) << len;
        EXPECT_EQ(std::get<DataMessage>((*r)->body).payload.size(),
                  len - kFrameHeaderLen - kDataHeaderLen);
      }
      continue;
    }
    const bool at_boundary = std::find(bounds.begin(), bounds.end(), len) != bounds.end();
    if (!at_boundary) {
      const auto why = Reason(r.status());
      EXPECT_TRUE(why == DecodeError::kTruncatedTlv || why == DecodeError::kTlvPastEnd)
          << "cut at " << len << ": " << r.status();
      continue;
    }
    if (!r.ok()) {
      EXPECT_EQ(Reason(r.status()), DecodeError::kMissingField) << len << r.status();
      continue;
    }
    std::vector<uint8_t> body;
    ASSERT_TRUE(EncodeMessageBody((*r)->body, &body).ok());
    EXPECT_TRUE(std::equal(body.begin(), body.end(), cut.begin() + kFrameHeaderLen, cut.end()))
        << "cut at " << len << " decoded to something else than its bytes";
  }
}

TEST_P(Hostile, PayloadLengthPastTheEnd) {
  for (uint16_t len :
       {static_cast<uint16_t>(frame_.size() - kFrameHeaderLen + 1), uint16_t{0xFFFF}}) {
    std::vector<uint8_t> f = frame_;
    StoreBe16(f.data() + 16, len);
    EXPECT_EQ(ReasonOf(f), DecodeError::kPayloadPastEnd) << len;
  }
}

// The control kinds: their payloads are TLVs.
class HostileControl : public Hostile {};

TEST_P(HostileControl, EveryTlvLengthPastItsParent) {
  const auto fields = testing::TlvLengthFields(frame_);
  ASSERT_FALSE(fields.empty());
  for (const auto& lf : fields) {
    const size_t room = lf.parent_end - lf.offset - 2;  // bytes after the length field
    for (size_t len : {room + 1, size_t{0xFFFF}}) {
      std::vector<uint8_t> f = frame_;
      StoreBe16(f.data() + lf.offset, static_cast<uint16_t>(len));
      EXPECT_EQ(ReasonOf(f), DecodeError::kTlvPastEnd) << "length at " << lf.offset << " = " << len;
    }
  }
}

TEST_P(Hostile, WrongVersionClusterAndKind) {
  std::vector<uint8_t> f = frame_;
  f[0] = DMPD_PROTO_VERSION + 1;
  EXPECT_EQ(ReasonOf(f), DecodeError::kBadVersion);
  f = frame_;
  f[7] ^= 1;
  EXPECT_EQ(ReasonOf(f), DecodeError::kOtherCluster);
  for (int k = 0; k < 256; ++k) {
    if (IsKnownKind(static_cast<uint8_t>(k))) continue;
    f = frame_;
    f[1] = static_cast<uint8_t>(k);
    EXPECT_EQ(ReasonOf(f), DecodeError::kUnknownKind) << k;
  }
}

// Compatibility: a TLV this version does not know is skipped, wherever it is, unless the
// sender marked it critical.
TEST_P(HostileControl, UnknownTlvsSkippedUnlessCritical) {
  const std::vector<uint8_t> extra = {0x7e, 0x01, 0x00, 0x03, 0xaa, 0xbb, 0xcc};
  for (size_t at : testing::TopLevelBoundaries(frame_)) {
    std::vector<uint8_t> f = frame_;
    f.insert(f.begin() + at, extra.begin(), extra.end());
    SetPayloadLen(&f);
    auto r = Receive(f);
    ASSERT_TRUE(r.ok()) << "unknown TLV at " << at << ": " << r.status();
    EXPECT_EQ((*r)->body, GetParam());
    f[at] |= 0x80;  // DMPD_TLV_F_CRITICAL
    EXPECT_EQ(ReasonOf(f), DecodeError::kUnknownCriticalTlv) << at;
  }
}

std::vector<MessageBody> Samples() { return SampleMessages(); }
std::vector<MessageBody> ControlSamples() {
  std::vector<MessageBody> out;
  for (const MessageBody& m : SampleMessages()) {
    if (KindOf(m) < DMPD_KIND_FIRST_DATA) out.push_back(m);
  }
  return out;
}
std::string KindName(const ::testing::TestParamInfo<MessageBody>& info) {
  return std::string(FrameKindName(KindOf(info.param)));
}

INSTANTIATE_TEST_SUITE_P(EveryKind, Hostile, ::testing::ValuesIn(Samples()), KindName);
INSTANTIATE_TEST_SUITE_P(ControlKinds, HostileControl, ::testing::ValuesIn(ControlSamples()),
                         KindName);

// Control payloads built by hand, for what the encoder never writes.
std::vector<uint8_t> Tlv(uint16_t type, std::vector<uint8_t> value) {
  std::vector<uint8_t> t = {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type),
                            static_cast<uint8_t>(value.size() >> 8),
                            static_cast<uint8_t>(value.size())};
  t.insert(t.end(), value.begin(), value.end());
  return t;
}
std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
std::optional<DecodeError> DecodeAs(uint8_t kind, const std::vector<uint8_t>& body) {
  MessageBody m;
  return Reason(DecodeMessageBody(kind, body, &m));
}
const std::vector<uint8_t> kSync(24, 0);
const std::vector<uint8_t> kStamp(16, 0);
const std::vector<uint8_t> kNodeInfo = {0, 3, 0, 0, 0, 0};  // node 3, nothing present

TEST(HostileBodies, MissingAndDuplicateFields) {
  EXPECT_EQ(DecodeAs(DMPD_KIND_TIME_SYNC, {}), DecodeError::kMissingField);
  EXPECT_EQ(DecodeAs(DMPD_KIND_TIME_SYNC, Cat({Tlv(0x0001, kSync), Tlv(0x0001, kSync)})),
            DecodeError::kDuplicateField);
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, Tlv(0x0010, Tlv(0x0011, kNodeInfo))),
            DecodeError::kMissingField);  // no view
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, Cat({Tlv(0x0002, kStamp), Tlv(0x0010, {})})),
            DecodeError::kMissingField);  // a node without node_info
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT,
                     Cat({Tlv(0x0002, kStamp),
                          Tlv(0x0010, Cat({Tlv(0x0011, kNodeInfo), Tlv(0x0011, kNodeInfo)}))})),
            DecodeError::kDuplicateField);
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT_RESPONSE, Tlv(0x0003, kStamp)),
            DecodeError::kMissingField);  // no node
  EXPECT_EQ(DecodeAs(DMPD_KIND_HELLO, Cat({Tlv(0x0021, {0, 1}), Tlv(0x0021, {0, 2})})),
            DecodeError::kDuplicateField);
}

TEST(HostileBodies, ShortValues) {
  EXPECT_EQ(DecodeAs(DMPD_KIND_TIME_SYNC, Tlv(0x0001, std::vector<uint8_t>(23))),
            DecodeError::kFieldTooShort);
  EXPECT_EQ(DecodeAs(DMPD_KIND_LEAVE, Tlv(0x0005, std::vector<uint8_t>(7))),
            DecodeError::kFieldTooShort);
  EXPECT_EQ(DecodeAs(DMPD_KIND_HELLO, Tlv(0x0020, {1, 2, 3, 4, 5})), DecodeError::kFieldTooShort);
  EXPECT_EQ(DecodeAs(DMPD_KIND_HELLO, Tlv(0x0023, {})), DecodeError::kBadValue);
  EXPECT_EQ(DecodeAs(DMPD_KIND_HELLO, Tlv(0x0023, std::vector<uint8_t>(kMaxHelloName + 1, 'a'))),
            DecodeError::kBadValue);
  // A group shorter than its id and presence word, or than its present bits need.
  const auto node = [](std::vector<uint8_t> info) {
    return Cat({Tlv(0x0002, kStamp), Tlv(0x0010, Tlv(0x0011, info))});
  };
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, node({0, 3, 0, 0, 0})), DecodeError::kFieldTooShort);
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, node({0, 3, 0, 0, 0, 1, 0})),
            DecodeError::kFieldTooShort);  // cores present, 1 of its 2 bytes
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, node({0, 3, 0xff, 0xff, 0xff, 0xff})),
            DecodeError::kFieldTooShort);  // every bit, no bytes
}

TEST(HostileBodies, DataHeaderLength) {
  std::vector<uint8_t> d(kDataHeaderLen + 4, 0);
  for (uint8_t bad : {0, 1, 15}) {
    d[10] = bad;
    EXPECT_EQ(DecodeAs(DMPD_KIND_DATA, d), DecodeError::kBadValue) << int{bad};
  }
  for (uint8_t past : {21, 255}) {
    d[10] = past;
    EXPECT_EQ(DecodeAs(DMPD_KIND_DATA, d), DecodeError::kPayloadPastEnd) << int{past};
  }
  d[10] = 20;  // a newer sender's longer header: skipped, empty payload
  MessageBody m;
  ASSERT_TRUE(DecodeMessageBody(DMPD_KIND_DATA, d, &m).ok());
  EXPECT_TRUE(std::get<DataMessage>(m).payload.empty());
}

TEST(HostileBodies, Limits) {
  std::vector<uint8_t> ports = Tlv(0x0011, kNodeInfo);
  for (size_t i = 0; i <= kMaxNodePorts; ++i) {
    ports = Cat({ports, Tlv(0x0012, {0, static_cast<uint8_t>(i), 0, 0, 0, 0})});
  }
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, Cat({Tlv(0x0002, kStamp), Tlv(0x0010, ports)})),
            DecodeError::kTooMany);
  std::vector<uint8_t> view = Tlv(0x0002, kStamp);
  const auto node = Tlv(0x0010, Tlv(0x0011, kNodeInfo));
  for (size_t i = 0; i <= kMaxViewNodes; ++i) view.insert(view.end(), node.begin(), node.end());
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT, view), DecodeError::kTooMany);
  std::vector<uint8_t> resp = Cat({Tlv(0x0003, kStamp), node});
  for (size_t i = 0; i <= kMaxObservations; ++i) {
    resp = Cat({resp, Tlv(0x0014, {0, 0, 0, 0, 0, 0})});
  }
  EXPECT_EQ(DecodeAs(DMPD_KIND_HEARTBEAT_RESPONSE, resp), DecodeError::kTooMany);
}

TEST(HostileBodies, ResponseMustSpeakForItsSender) {
  HeartbeatResponse r = std::get<HeartbeatResponse>(SampleMessages()[3]);
  r.self.info.id = kSampleNode + 1;
  EXPECT_EQ(ReasonOf(SampleFrame(r)), DecodeError::kBadValue);
}

TEST(HostileBodies, RejectionsAreCountedByReason) {
  FrameReceiver rx(ReceiverOptions(kSampleCluster));
  std::vector<uint8_t> f = SampleFrame(SampleMessages()[1]);
  f[7] ^= 1;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(rx.Receive(f, 0).ok());
  EXPECT_FALSE(rx.Receive(std::span(f).first(5), 0).ok());
  EXPECT_EQ(rx.rejected()[static_cast<size_t>(DecodeError::kOtherCluster)], 3u);
  EXPECT_EQ(rx.rejected()[static_cast<size_t>(DecodeError::kTruncatedHeader)], 1u);
}

// Issue 11: every defect a forged hello can carry, through the whole receive path that the
// daemon runs on each control frame, refused before it could become a neighbour, each with
// its own reason (they are metric labels: an operator must tell them apart).
struct HelloDefect {
  const char* name;
  DecodeError reason;
  uint16_t flags = 0;
  uint16_t sender_node = kSampleNode;
  std::vector<uint8_t> payload;
};

std::vector<uint8_t> HelloFrame(uint16_t flags, uint16_t sender_node,
                                const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f(kFrameHeaderLen);
  const FrameHeader h{.kind = DMPD_KIND_HELLO,
                      .flags = flags,
                      .cluster_id = kSampleCluster,
                      .sender_node = sender_node,
                      .sender_port = kSamplePort,
                      .sequence = kSampleSequence,
                      .payload_len = static_cast<uint16_t>(payload.size())};
  EXPECT_TRUE(EncodeFrameHeader(h, f).ok());
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

const std::vector<uint8_t> kPortCount = Tlv(0x0021, {0, 2});

std::vector<HelloDefect> HelloDefects() {
  std::vector<uint8_t> past_end = kPortCount;
  past_end[3] = 10;  // 10 bytes of value announced, 2 present
  std::vector<uint8_t> segment_count_0 = {0, 0, 0, 7, 0, 0, 0, 0};  // id 7, index 0, count 0
  segment_count_0.insert(segment_count_0.end(), kPortCount.begin(), kPortCount.end());
  return {
      {"tlv_past_end", DecodeError::kTlvPastEnd, 0, kSampleNode, past_end},
      {"truncated_tlv", DecodeError::kTruncatedTlv, 0, kSampleNode, Cat({kPortCount, {0, 0x22}})},
      {"critical_unknown_tlv", DecodeError::kUnknownCriticalTlv, 0, kSampleNode,
       Tlv(DMPD_TLV_F_CRITICAL | 0x7e01, {1, 2, 3})},
      {"duplicate_tlv", DecodeError::kDuplicateField, 0, kSampleNode,
       Cat({Tlv(0x0022, {0, 0, 0, 7}), Tlv(0x0022, {0, 0, 0, 8})})},
      // A node without the key: the flag alone is enough to refuse (PROTO-4).
      {"auth_without_trailer", DecodeError::kUnexpectedMac, DMPD_HDR_F_AUTH, kSampleNode,
       kPortCount},
      {"segment_count_0", DecodeError::kBadSegment, DMPD_HDR_F_SEGMENT, kSampleNode,
       segment_count_0},
      {"long_name", DecodeError::kBadValue, 0, kSampleNode,
       Tlv(0x0023, std::vector<uint8_t>(300, 'n'))},
      {"reserved_flags", DecodeError::kReservedFlags, 0x0004, kSampleNode, kPortCount},
      {"node_65535", DecodeError::kBadNode, 0, 0xFFFF, kPortCount},
  };
}

TEST(HostileHello, EveryDefectRefusedWithItsOwnReason) {
  FrameReceiver rx(ReceiverOptions(kSampleCluster));
  std::set<DecodeError> reasons;
  for (const HelloDefect& d : HelloDefects()) {
    const std::vector<uint8_t> f = HelloFrame(d.flags, d.sender_node, d.payload);
    auto r = rx.Receive(f, 0);
    ASSERT_FALSE(r.ok()) << d.name << " accepted";
    EXPECT_EQ(Reason(r.status()), d.reason) << d.name << ": " << r.status();
    EXPECT_EQ(rx.rejected()[static_cast<size_t>(d.reason)], 1u) << d.name;
    EXPECT_TRUE(reasons.insert(d.reason).second) << d.name << " shares its reason";
    // The same frame padded to the Ethernet minimum, as it arrives on the wire.
    std::vector<uint8_t> padded = f;
    padded.resize(std::max<size_t>(f.size(), 60 - kEthHeaderLen), 0);
    EXPECT_EQ(ReasonOf(padded), d.reason) << d.name << " padded";
  }
  // Every defect is refused once and the receiver counted nothing else.
  uint64_t total = 0;
  for (uint64_t n : rx.rejected()) total += n;
  EXPECT_EQ(total, HelloDefects().size());
}

// The same defects without a defect are a valid hello: the test frames differ from a good
// one only in what they are named after.
TEST(HostileHello, TheFramesAreValidWithoutTheirDefect) {
  auto r = Receive(HelloFrame(0, kSampleNode, kPortCount));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<Hello>((*r)->body).port_count, 2);
  r = Receive(HelloFrame(0, kSampleNode, Tlv(0x0023, std::vector<uint8_t>(kMaxHelloName, 'n'))));
  ASSERT_TRUE(r.ok()) << r.status();
  r = Receive(HelloFrame(0, 0xFFFE, {}));  // the highest node number is a node
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->header.sender_node, 0xFFFE);
}

// A node with the key sees a trailer too short to hold a MAC.
TEST(HostileHello, AuthWithoutTrailerOnAKeyedNode) {
  auto auth = FrameAuth::Create(SampleClusterKey());
  ASSERT_TRUE(auth.ok());
  FrameReceiver rx(ReceiverOptions(kSampleCluster, auth->get()));
  auto r = rx.Receive(HelloFrame(DMPD_HDR_F_AUTH, kSampleNode, kPortCount), 0);
  EXPECT_EQ(Reason(r.status()), DecodeError::kFieldTooShort) << r.status();
  r = rx.Receive(HelloFrame(DMPD_HDR_F_AUTH, kSampleNode, std::vector<uint8_t>(40, 0)), 0);
  EXPECT_EQ(Reason(r.status()), DecodeError::kBadMac) << r.status();
}

// Header checks, on the allocation-free path the worker's classifier runs per frame.
TEST(HostileHeader, EveryReservedFlagRefused) {
  for (int bit = 0; bit < 16; ++bit) {
    const auto flag = static_cast<uint16_t>(1u << bit);
    std::vector<uint8_t> f = HelloFrame(flag, kSampleNode, {});
    DecodeError why{};
    const bool parsed = ParseFrameHeader(f, &why).has_value();
    if (flag & DMPD_HDR_F_KNOWN) {
      EXPECT_TRUE(parsed) << "flag " << flag;
    } else {
      EXPECT_FALSE(parsed) << "flag " << flag;
      EXPECT_EQ(why, DecodeError::kReservedFlags) << "flag " << flag;
      EXPECT_EQ(ReasonOf(f), DecodeError::kReservedFlags) << "flag " << flag;
    }
  }
}

TEST(HostileHeader, NodeNoneRefused) {
  for (uint8_t kind : {uint8_t{DMPD_KIND_HELLO}, uint8_t{DMPD_KIND_DATA}}) {
    std::vector<uint8_t> f = HelloFrame(0, DMPD_NODE_NONE, std::vector<uint8_t>(16, 0));
    f[1] = kind;
    DecodeError why{};
    EXPECT_FALSE(ParseFrameHeader(f, &why).has_value());
    EXPECT_EQ(why, DecodeError::kBadNode);
    EXPECT_EQ(ReasonOf(f), DecodeError::kBadNode);
  }
}

// The reserved u16 is "0 when sent, ignored when received" (docs/protocol.md §1.1).
TEST(HostileHeader, ReservedFieldIgnored) {
  std::vector<uint8_t> f = HelloFrame(0, kSampleNode, kPortCount);
  StoreBe16(f.data() + 18, 0xBEEF);
  auto r = Receive(f);
  ASSERT_TRUE(r.ok()) << r.status();
}

// The header checks come before the body is looked at: a frame with several defects is
// refused for its header one, and the new reasons keep their names (metric labels).
TEST(HostileHeader, ReasonNames) {
  EXPECT_EQ(DecodeErrorName(DecodeError::kReservedFlags), "reserved_flags");
  EXPECT_EQ(DecodeErrorName(DecodeError::kBadNode), "bad_node");
  std::vector<uint8_t> past_end = kPortCount;
  past_end[3] = 10;
  EXPECT_EQ(ReasonOf(HelloFrame(0x8000, DMPD_NODE_NONE, past_end)), DecodeError::kReservedFlags);
  EXPECT_EQ(ReasonOf(HelloFrame(0, DMPD_NODE_NONE, past_end)), DecodeError::kBadNode);
}

}  // namespace
}  // namespace dmpd
