// SPDX-License-Identifier: BSD-3-Clause
// Golden byte vectors: the sample message of each kind (common/protocol_samples.h) as the
// library writes it, byte for byte; docs/protocol.md shows the same vectors. A change
// here is a wire format change: bump nothing silently.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "common/frame_kind.h"
#include "common/frame_receiver.h"
#include "common/protocol_samples.h"
#include "tests/protocol/protocol_test_util.h"

namespace dmpd {
namespace {

using testing::FromHex;
using testing::Hex;
using testing::SampleFrame;

struct Golden {
  uint8_t kind;
  const char* hex;
};

// Header (20 bytes) on the first line, then the payload's TLVs one per line.
const Golden kGolden[] = {
    {DMPD_KIND_HELLO,
     "0101000000c1a55e000300010000010000210000"
     "00200006020000000301"
     "002100020002"
     "0022000400000007"
     "002300056e6f646533"},
    {DMPD_KIND_TIME_SYNC,
     "0102000000c1a55e0003000100000100001c0000"
     "00010018000000070000002a17979cfe362a0000000186a000004e20"},
    {DMPD_KIND_HEARTBEAT,
     "0103000000c1a55e0003000100000100007e0000"
     "00020010000000070000002a17979cfe375b2d00"
     "00100066"
     "0011001900030000204700080003d090000005dc000000040000000001"
     "0012002900000000041f0200000003000200000002540be40000000000075bcd150000000005e30a780001d4c0"
     "0013001800010000000f010200000000001000000000000000001000"},
    {DMPD_KIND_HEARTBEAT_RESPONSE,
     "0104000000c1a55e000300010000010000960000"
     "00030010000000070000002a17979cfe36394240"
     "0010004a"
     "0011001900030000204700080003d090000005dc000000040000000001"
     "0012002900000000041f0200000003000200000002540be40000000000075bcd150000000005e30a780001d4c0"
     "0014001400000000000700000000000000000029000000ff"
     "00150018000000000007000100000000000000280000000000000029"},
    {DMPD_KIND_CANDIDACY,
     "0105000000c1a55e000300010000010000100000"
     "0004000c000000080003050000000029"},
    {DMPD_KIND_VOTE,
     "0106000000c1a55e000300010000010000100000"
     "0004000c000000080003050000000029"},
    {DMPD_KIND_ANNOUNCE,
     "0107000000c1a55e000300010000010000100000"
     "0004000c00000008000305000000002a"},
    {DMPD_KIND_LEAVE,
     "0108000000c1a55e0003000100000100000c0000"
     "000500080200000000000008"},
    {DMPD_KIND_DATA,
     "0180000000c1a55e000300010000010000140000"
     "000300050001000209011000000003e8"
     "70696e67"},
};

// The time_sync sample signed with SampleClusterKey(): trailer = epoch, then the MAC.
constexpr char kGoldenSignedTimeSync[] =
    "0102000100c1a55e000300010000010000340000"
    "00010018000000070000002a17979cfe362a0000000186a000004e20"
    "00060a24181e4000"
    "6774ca63c392cc69697abaff072c92c9";

const MessageBody& SampleOf(uint8_t kind) {
  static const std::vector<MessageBody> samples = SampleMessages();
  for (const auto& m : samples) {
    if (KindOf(m) == kind) return m;
  }
  ADD_FAILURE() << "no sample of kind " << int{kind};
  return samples[0];
}

TEST(GoldenFrames, EveryKindHasOne) {
  ASSERT_EQ(std::size(kGolden), std::size(kFrameKinds));
  for (size_t i = 0; i < std::size(kGolden); ++i) EXPECT_EQ(kGolden[i].kind, kFrameKinds[i]);
}

TEST(GoldenFrames, EncoderWritesTheGoldenBytes) {
  for (const Golden& g : kGolden) {
    EXPECT_EQ(Hex(SampleFrame(SampleOf(g.kind))), Hex(FromHex(g.hex))) << FrameKindName(g.kind);
  }
}

TEST(GoldenFrames, GoldenBytesDecodeToTheSample) {
  for (const Golden& g : kGolden) {
    FrameReceiver rx(ReceiverOptions(kSampleCluster));
    auto r = rx.Receive(FromHex(g.hex), 0);
    ASSERT_TRUE(r.ok()) << FrameKindName(g.kind) << ": " << r.status();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->body, SampleOf(g.kind)) << FrameKindName(g.kind);
    EXPECT_EQ((*r)->header.sequence, kSampleSequence);
  }
}

TEST(GoldenFrames, SignedTimeSync) {
  auto auth = FrameAuth::Create(SampleClusterKey());
  ASSERT_TRUE(auth.ok());
  const std::vector<uint8_t> frame = SampleFrame(SampleOf(DMPD_KIND_TIME_SYNC), auth->get());
  EXPECT_EQ(Hex(frame), Hex(FromHex(kGoldenSignedTimeSync)));
  FrameReceiver rx(ReceiverOptions(kSampleCluster, auth->get()));
  auto r = rx.Receive(FromHex(kGoldenSignedTimeSync), 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->body, SampleOf(DMPD_KIND_TIME_SYNC));
}

// docs/protocol.md §9 shows the same bytes: each golden vector is in one of its code blocks.
TEST(GoldenFrames, DocsShowTheSameBytes) {
  std::ifstream in(DMPD_PROTOCOL_DOC);
  ASSERT_TRUE(in.good()) << DMPD_PROTOCOL_DOC;
  std::vector<std::string> blocks;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("```")) {
      inside = !inside;
      if (inside) blocks.emplace_back();
      continue;
    }
    if (inside) blocks.back() += Hex(FromHex(line));
  }
  auto shown = [&](const std::string& hex) {
    return std::any_of(blocks.begin(), blocks.end(),
                       [&](const std::string& b) { return b.find(hex) != std::string::npos; });
  };
  for (const Golden& g : kGolden) {
    EXPECT_TRUE(shown(Hex(FromHex(g.hex)))) << FrameKindName(g.kind) << " not in the docs";
  }
  EXPECT_TRUE(shown(Hex(FromHex(kGoldenSignedTimeSync))));
}

// The daemon's first hellos were a bare header: they must stay valid hellos.
TEST(GoldenFrames, EmptyHelloIsValid) {
  FrameReceiver rx(ReceiverOptions(kSampleCluster));
  const auto frame = FromHex("01010000 00c1a55e 00030001 00000100 00000000");
  auto r = rx.Receive(frame, 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->body, MessageBody(Hello{}));
}

}  // namespace
}  // namespace dmpd
