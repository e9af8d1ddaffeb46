// SPDX-License-Identifier: BSD-3-Clause
// Authentication (PROTO-4): signed control frames, bad MACs, replays, epochs, and the two
// policies (a keyed node refuses unsigned control frames; a keyless one refuses signed).
#include <gtest/gtest.h>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_receiver.h"
#include "common/frame_writer.h"
#include "common/protocol_samples.h"
#include "common/replay_window.h"
#include "tests/protocol/protocol_test_util.h"

namespace dmpd {
namespace {

using testing::Reason;

class FrameAuthTest : public ::testing::Test {
 protected:
  std::unique_ptr<FrameAuth> auth_ = *FrameAuth::Create(SampleClusterKey());
  std::vector<MessageBody> samples_ = SampleMessages();
  const MessageBody& time_sync() const { return samples_[1]; }

  std::vector<uint8_t> Signed(const MessageBody& m, uint32_t seq, uint64_t epoch = 1) const {
    FrameWriterOptions o = SampleWriterOptions(auth_.get());
    o.epoch = epoch;
    std::vector<std::vector<uint8_t>> frames;
    EXPECT_TRUE(FrameWriter(o).WriteMessage(m, kSamplePort, 0, &seq, &frames).ok());
    return frames.at(0);
  }
  FrameReceiver Keyed() const { return FrameReceiver(ReceiverOptions(kSampleCluster, auth_.get())); }
};

TEST_F(FrameAuthTest, RefusesShortKeys) {
  EXPECT_FALSE(FrameAuth::Create(std::vector<uint8_t>(kMinClusterKeyLen - 1, 1)).ok());
  EXPECT_TRUE(FrameAuth::Create(std::vector<uint8_t>(kMinClusterKeyLen, 1)).ok());
}

TEST_F(FrameAuthTest, EveryControlKindSignedAndAccepted) {
  FrameReceiver rx = Keyed();
  uint32_t seq = 10;
  for (const MessageBody& m : samples_) {
    const auto f = Signed(m, seq++);
    const bool control = KindOf(m) < DMPD_KIND_FIRST_DATA;
    EXPECT_EQ(LoadBe16(f.data() + 2) & DMPD_HDR_F_AUTH, control ? DMPD_HDR_F_AUTH : 0);
    auto r = rx.Receive(f, 0);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->body, m);
  }
}

// Any single bit changed in a signed frame makes it refused; in the payload (body, epoch,
// MAC) always for its MAC.
TEST_F(FrameAuthTest, EveryFlippedBitIsRefused) {
  const auto good = Signed(time_sync(), 5);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[i] ^= static_cast<uint8_t>(1 << bit);
      FrameReceiver rx = Keyed();
      auto r = rx.Receive(f, 0);
      ASSERT_FALSE(r.ok()) << "byte " << i << " bit " << bit;
      if (i >= kFrameHeaderLen) {
        EXPECT_EQ(Reason(r.status()), DecodeError::kBadMac) << i;
      }
    }
  }
}

TEST_F(FrameAuthTest, WrongKeyIsABadMac) {
  std::vector<uint8_t> other = SampleClusterKey();
  other[0] ^= 1;
  auto wrong = *FrameAuth::Create(other);
  FrameReceiver rx(ReceiverOptions(kSampleCluster, wrong.get()));
  EXPECT_EQ(Reason(rx.Receive(Signed(time_sync(), 1), 0).status()), DecodeError::kBadMac);
}

TEST_F(FrameAuthTest, ReplaysAreRefused) {
  FrameReceiver rx = Keyed();
  const auto f100 = Signed(time_sync(), 100);
  ASSERT_TRUE(rx.Receive(f100, 0).ok());
  EXPECT_EQ(Reason(rx.Receive(f100, 0).status()), DecodeError::kReplay);
  // Out of order inside the window is fine, once.
  const auto f90 = Signed(time_sync(), 90);
  EXPECT_TRUE(rx.Receive(f90, 0).ok());
  EXPECT_EQ(Reason(rx.Receive(f90, 0).status()), DecodeError::kReplay);
  // Older than the window.
  ASSERT_TRUE(rx.Receive(Signed(time_sync(), 100 + ReplayWindow::kWindow), 0).ok());
  EXPECT_EQ(Reason(rx.Receive(Signed(time_sync(), 99), 0).status()), DecodeError::kReplay);
}

TEST_F(FrameAuthTest, NewerEpochResetsOlderIsAReplay) {
  FrameReceiver rx = Keyed();
  ASSERT_TRUE(rx.Receive(Signed(time_sync(), 1000, /*epoch=*/5), 0).ok());
  // The sender restarted: its sequence starts again, under a newer epoch.
  EXPECT_TRUE(rx.Receive(Signed(time_sync(), 0, 6), 0).ok());
  EXPECT_EQ(Reason(rx.Receive(Signed(time_sync(), 2000, 5), 0).status()), DecodeError::kReplay);
}

TEST_F(FrameAuthTest, KeyedNodeRefusesUnsignedControlButTakesData) {
  FrameReceiver rx = Keyed();
  for (const MessageBody& m : samples_) {
    auto r = rx.Receive(testing::SampleFrame(m), 0);
    if (KindOf(m) < DMPD_KIND_FIRST_DATA) {
      EXPECT_EQ(Reason(r.status()), DecodeError::kMissingMac) << int{KindOf(m)};
    } else {
      EXPECT_TRUE(r.ok()) << r.status();
    }
  }
}

TEST_F(FrameAuthTest, KeylessNodeRefusesSignedFrames) {
  FrameReceiver rx(ReceiverOptions(kSampleCluster));
  EXPECT_EQ(Reason(rx.Receive(Signed(time_sync(), 1), 0).status()), DecodeError::kUnexpectedMac);
}

TEST_F(FrameAuthTest, FlagWithoutRoomForATrailer) {
  std::vector<uint8_t> f = testing::SampleFrame(samples_[4]);  // candidacy, 16-byte payload
  StoreBe16(f.data() + 2, DMPD_HDR_F_AUTH);
  FrameReceiver rx = Keyed();
  EXPECT_EQ(Reason(rx.Receive(f, 0).status()), DecodeError::kFieldTooShort);
}

TEST(ReplayWindow, SurvivesTheSequenceWrap) {
  ReplayWindow w;
  ASSERT_TRUE(w.Accept(1, 0, 1, 0xFFFFFFF0u).ok());
  EXPECT_TRUE(w.Accept(1, 0, 1, 0x00000005u).ok());  // ahead, across the wrap
  EXPECT_TRUE(w.Accept(1, 0, 1, 0xFFFFFFF8u).ok());  // behind, inside the window
  EXPECT_EQ(Reason(w.Accept(1, 0, 1, 0xFFFFFFF0u)), DecodeError::kReplay);
  EXPECT_EQ(Reason(w.Accept(1, 0, 1, 0x00000005u)), DecodeError::kReplay);
}

TEST(ReplayWindow, SendersAreIndependentAndBounded) {
  ReplayWindow w(/*max_senders=*/2);
  EXPECT_TRUE(w.Accept(1, 0, 1, 7).ok());
  EXPECT_TRUE(w.Accept(1, 1, 1, 7).ok());  // another port of the same node
  EXPECT_EQ(Reason(w.Accept(2, 0, 1, 7)), DecodeError::kTooMany);
  EXPECT_EQ(w.senders(), 2u);
}

}  // namespace
}  // namespace dmpd
