// SPDX-License-Identifier: BSD-3-Clause
// Round trips of every frame kind with random contents: body codec alone, then the whole
// path (FrameWriter -> shuffled, duplicated frames -> FrameReceiver) with and without a
// key and over several MTUs, so segmentation and reassembly are exercised too.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/frame_kind.h"
#include "common/frame_receiver.h"
#include "common/frame_writer.h"
#include "common/protocol_samples.h"
#include "tests/protocol/random_message.h"

namespace dmpd {
namespace {

constexpr int kSeeds = 300;

class RoundTrip : public ::testing::TestWithParam<uint8_t> {};

TEST_P(RoundTrip, BodyCodec) {
  for (int seed = 0; seed < kSeeds; ++seed) {
    std::mt19937_64 rng(seed * 1000 + GetParam());
    const MessageBody m = testing::RandomMessage(GetParam(), rng);
    ASSERT_EQ(KindOf(m), GetParam());
    std::vector<uint8_t> body;
    ASSERT_TRUE(EncodeMessageBody(m, &body).ok()) << "seed " << seed;
    MessageBody back;
    ASSERT_TRUE(DecodeMessageBody(GetParam(), body, &back).ok()) << "seed " << seed;
    EXPECT_EQ(back, m) << "seed " << seed;
    // Encoding is deterministic: the decoded message gives the same bytes again.
    std::vector<uint8_t> again;
    ASSERT_TRUE(EncodeMessageBody(back, &again).ok());
    EXPECT_EQ(again, body) << "seed " << seed;
  }
}

TEST_P(RoundTrip, ThroughWriterAndReceiver) {
  const std::vector<uint8_t> key = SampleClusterKey();
  auto auth = FrameAuth::Create(key);
  ASSERT_TRUE(auth.ok());
  const size_t mtus[] = {576, 1500, 9000};
  for (int seed = 0; seed < kSeeds; ++seed) {
    std::mt19937_64 rng(seed * 7919 + GetParam());
    MessageBody m = testing::RandomMessage(GetParam(), rng);
    // A response must speak for its sender (checked by the receiver, see HostileInput).
    if (auto* r = std::get_if<HeartbeatResponse>(&m)) r->self.info.id = kSampleNode;
    const bool keyed = seed % 2 == 0;
    FrameWriterOptions wo = SampleWriterOptions(keyed ? auth->get() : nullptr);
    wo.mtu = mtus[seed % 3];
    FrameWriter writer(wo);
    std::vector<std::vector<uint8_t>> frames;
    uint32_t seq = static_cast<uint32_t>(rng());
    ASSERT_TRUE(writer.WriteMessage(m, kSamplePort, seed, &seq, &frames).ok()) << seed;
    for (const auto& f : frames) ASSERT_LE(f.size(), wo.mtu);
    // The master sends on every port: the receiver sees copies, in any order.
    std::vector<std::vector<uint8_t>> arriving = frames;
    if (frames.size() > 1) arriving.push_back(frames[rng() % frames.size()]);
    std::shuffle(arriving.begin(), arriving.end(), rng);

    FrameReceiver rx(ReceiverOptions(kSampleCluster, keyed ? auth->get() : nullptr));
    int delivered = 0;
    for (const auto& f : arriving) {
      auto r = rx.Receive(f, 1000);
      if (!r.ok()) {
        // Only a replayed copy may be refused, and only when frames are signed.
        EXPECT_TRUE(keyed && DecodeErrorOf(r.status()) == DecodeError::kReplay) << r.status();
        continue;
      }
      if (!r->has_value()) continue;
      ++delivered;
      EXPECT_EQ((*r)->body, m) << "seed " << seed;
      EXPECT_EQ((*r)->header.sender_node, kSampleNode);
      EXPECT_EQ((*r)->header.kind, GetParam());
    }
    EXPECT_EQ(delivered, 1) << "seed " << seed << ", " << frames.size() << " frames";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKind, RoundTrip, ::testing::ValuesIn(kFrameKinds),
                         [](const auto& info) { return std::string(FrameKindName(info.param)); });

}  // namespace
}  // namespace dmpd
