// SPDX-License-Identifier: BSD-3-Clause
// Segmentation and reassembly (PROTO-3): a large view split by FrameWriter and rebuilt in
// any order; duplicates, expiry, inconsistent segments and floods.
#include "common/reassembler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_receiver.h"
#include "common/frame_writer.h"
#include "common/protocol_samples.h"
#include "tests/protocol/protocol_test_util.h"

namespace dmpd {
namespace {

using State = ReassemblyResult::State;
using testing::Reason;

// A segment payload: the segment header and `data`.
std::vector<uint8_t> Segment(uint32_t id, uint16_t index, uint16_t count,
                             std::vector<uint8_t> data = {1, 2, 3}) {
  std::vector<uint8_t> p(kSegmentHeaderLen);
  StoreBe32(p.data(), id);
  StoreBe16(p.data() + 4, index);
  StoreBe16(p.data() + 6, count);
  p.insert(p.end(), data.begin(), data.end());
  return p;
}
FrameHeader From(uint16_t node, uint8_t kind = DMPD_KIND_HEARTBEAT) {
  FrameHeader h;
  h.kind = kind;
  h.sender_node = node;
  return h;
}

TEST(Segmentation, LargeViewSplitsWithinTheMtuAndRebuildsInAnyOrder) {
  const Heartbeat view = SampleView(64, 4);
  FrameWriter w(SampleWriterOptions());
  std::vector<std::vector<uint8_t>> frames;
  uint32_t seq = 0;
  ASSERT_TRUE(w.WriteMessage(view, 0, view.cycle, &seq, &frames).ok());
  ASSERT_GT(frames.size(), 10u);
  EXPECT_EQ(seq, frames.size());
  for (const auto& f : frames) {
    EXPECT_LE(f.size(), kDefaultMtu);
    EXPECT_EQ(LoadBe16(f.data() + 2), DMPD_HDR_F_SEGMENT);
  }
  std::mt19937_64 rng(1);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(frames.begin(), frames.end(), rng);
    FrameReceiver rx(ReceiverOptions(kSampleCluster));
    for (size_t i = 0; i < frames.size(); ++i) {
      auto r = rx.Receive(frames[i], 0);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->has_value(), i + 1 == frames.size());
      if (r->has_value()) {
        EXPECT_EQ((*r)->body, MessageBody(view));
      }
    }
  }
}

TEST(Segmentation, WriterRefusesMoreSegmentsThanAllowed) {
  FrameWriterOptions o = SampleWriterOptions();
  o.max_segments = 4;
  std::vector<std::vector<uint8_t>> frames;
  uint32_t seq = 0;
  EXPECT_FALSE(FrameWriter(o).WriteMessage(SampleView(64, 4), 0, 1, &seq, &frames).ok());
  o.mtu = kFrameHeaderLen + kSegmentHeaderLen;  // no room for a body byte
  EXPECT_FALSE(
      FrameWriter(o).Write(DMPD_KIND_DATA, 0, 1, std::vector<uint8_t>(100), &seq, &frames).ok());
}

TEST(Reassembler, DuplicatesBeforeAndAfterCompletion) {
  Reassembler r;
  auto a = r.Add(From(1), Segment(9, 1, 2, {3, 4}), 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state, State::kPending);
  EXPECT_EQ(r.Add(From(1), Segment(9, 1, 2, {3, 4}), 0)->state, State::kDuplicate);
  auto done = r.Add(From(1), Segment(9, 0, 2, {1, 2}), 0);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, State::kComplete);
  EXPECT_EQ(done->body, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.buffered_bytes(), 0u);
  // A late copy from another port must not deliver the message twice.
  EXPECT_EQ(r.Add(From(1), Segment(9, 0, 2, {1, 2}), 0)->state, State::kDuplicate);
}

TEST(Reassembler, SendersKindsAndIdsDoNotMix) {
  Reassembler r;
  ASSERT_EQ(r.Add(From(1), Segment(9, 0, 2), 0)->state, State::kPending);
  EXPECT_EQ(r.Add(From(2), Segment(9, 1, 2), 0)->state, State::kPending);
  EXPECT_EQ(r.Add(From(1, DMPD_KIND_DATA), Segment(9, 1, 2), 0)->state, State::kPending);
  EXPECT_EQ(r.Add(From(1), Segment(10, 1, 2), 0)->state, State::kPending);
  EXPECT_EQ(r.messages(), 4u);
}

TEST(Reassembler, InconsistentSegmentsAreRefused) {
  Reassembler r({.max_segments = 8});
  EXPECT_EQ(Reason(r.Add(From(1), Segment(1, 0, 0), 0).status()), DecodeError::kBadSegment);
  EXPECT_EQ(Reason(r.Add(From(1), Segment(1, 2, 2), 0).status()), DecodeError::kBadSegment);
  EXPECT_EQ(Reason(r.Add(From(1), Segment(1, 0, 9), 0).status()), DecodeError::kSegmentLimit);
  EXPECT_EQ(Reason(r.Add(From(1), std::vector<uint8_t>(7), 0).status()), DecodeError::kBadSegment);
  ASSERT_TRUE(r.Add(From(1), Segment(1, 0, 3), 0).ok());
  EXPECT_EQ(Reason(r.Add(From(1), Segment(1, 1, 4), 0).status()), DecodeError::kBadSegment);
}

TEST(Reassembler, IncompleteMessagesExpire) {
  Reassembler r({.timeout_ns = 100});
  ASSERT_TRUE(r.Add(From(1), Segment(1, 0, 2), 0).ok());
  EXPECT_EQ(r.buffered_bytes(), 3u);
  r.Expire(99);
  EXPECT_EQ(r.messages(), 1u);
  r.Expire(100);
  EXPECT_EQ(r.messages(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  // The missing half alone does not complete anything now.
  EXPECT_EQ(r.Add(From(1), Segment(1, 1, 2), 150)->state, State::kPending);
}

TEST(Reassembler, OneSendersFloodKeepsOnlyItsNewestMessages) {
  Reassembler r({.max_in_flight_per_sender = 4});
  for (uint32_t id = 0; id < 1000; ++id) {
    ASSERT_TRUE(r.Add(From(7), Segment(id, 0, 2), id).ok()) << id;
  }
  EXPECT_EQ(r.messages(), 4u);
  EXPECT_EQ(r.buffered_bytes(), 4u * 3);
  // Another sender is not crowded out, and the newest of the flood can still complete.
  EXPECT_EQ(r.Add(From(8), Segment(1, 0, 1), 1000)->state, State::kComplete);
  EXPECT_EQ(r.Add(From(7), Segment(999, 1, 2), 1000)->state, State::kComplete);
}

TEST(Reassembler, ManySendersHitTheMessageLimit) {
  Reassembler r({.max_messages = 16, .timeout_ns = 1000});
  for (uint16_t s = 0; s < 16; ++s) ASSERT_TRUE(r.Add(From(s), Segment(1, 0, 2), 0).ok());
  EXPECT_EQ(Reason(r.Add(From(99), Segment(1, 0, 2), 10).status()), DecodeError::kReassemblyFull);
  // Once the old ones expire there is room again.
  EXPECT_TRUE(r.Add(From(99), Segment(1, 0, 2), 1000).ok());
  EXPECT_EQ(r.messages(), 1u);
}

TEST(Reassembler, CompletedMessagesGiveWayToNewOnes) {
  Reassembler r({.max_messages = 4, .timeout_ns = 1'000'000});
  for (uint32_t id = 0; id < 100; ++id) {
    ASSERT_EQ(r.Add(From(1, DMPD_KIND_DATA), Segment(id, 0, 1), id)->state, State::kComplete) << id;
  }
  EXPECT_EQ(r.messages(), 4u);
  // The most recent ones are still recognised as copies.
  EXPECT_EQ(r.Add(From(1, DMPD_KIND_DATA), Segment(99, 0, 1), 100)->state, State::kDuplicate);
}

TEST(Reassembler, MemoryIsBounded) {
  Reassembler r({.max_bytes = 10});
  ASSERT_TRUE(r.Add(From(1), Segment(1, 0, 3, std::vector<uint8_t>(6)), 0).ok());
  EXPECT_EQ(Reason(r.Add(From(1), Segment(1, 1, 3, std::vector<uint8_t>(6)), 0).status()),
            DecodeError::kReassemblyFull);
  EXPECT_EQ(r.buffered_bytes(), 6u);
}

}  // namespace
}  // namespace dmpd
