// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/frame_classifier.h"

#include <gtest/gtest.h>

#include "tests/support/frame_builder.h"

namespace dmpd {
namespace {

using testing::FrameBuilder;

const ClassifierConfig kConfig{.ethertype = DMPD_ETHERTYPE_DEFAULT, .cluster_id = 1, .own_node = 5};

FrameHeader From(uint16_t node, uint8_t kind = DMPD_KIND_HELLO, uint32_t cluster = 1) {
  return FrameHeader{.kind = kind, .cluster_id = cluster, .sender_node = node};
}

TEST(FrameClassifier, SortsFramesByWhereTheyGo) {
  EXPECT_EQ(ClassifyFrame(FrameBuilder().Header(From(2)).PadToMinimum().Build(), kConfig).cls,
            FrameClass::kControl);
  EXPECT_EQ(
      ClassifyFrame(FrameBuilder().Header(From(2, DMPD_KIND_DATA)).Build(), kConfig).cls,
      FrameClass::kData);
  EXPECT_EQ(ClassifyFrame(FrameBuilder().Header(From(5)).Build(), kConfig).cls, FrameClass::kOwn);
  EXPECT_EQ(ClassifyFrame(FrameBuilder().Ethertype(0x0800).PadToMinimum().Build(), kConfig).cls,
            FrameClass::kNotDmpd);
}

TEST(FrameClassifier, KeepsTheDecodedHeaderAndPayload) {
  auto frame = FrameBuilder().VlanTag(0x8100).Header(From(2)).Payload({9, 8, 7}).PadToMinimum().Build();
  Classification c = ClassifyFrame(frame, kConfig);
  ASSERT_EQ(c.cls, FrameClass::kControl);
  EXPECT_EQ(c.frame.header.sender_node, 2);
  ASSERT_EQ(c.frame.payload.size(), 3u);
  EXPECT_EQ(c.frame.payload[0], 9);
}

TEST(FrameClassifier, RejectsWithAReason) {
  auto reason = [](const std::vector<uint8_t>& f) {
    Classification c = ClassifyFrame(f, kConfig);
    EXPECT_EQ(c.cls, FrameClass::kRejected);
    return c.error;
  };
  EXPECT_EQ(reason(FrameBuilder().Header(From(2, DMPD_KIND_HELLO, 7)).Build()),
            DecodeError::kOtherCluster);
  FrameHeader v = From(2);
  v.version = 3;
  EXPECT_EQ(reason(FrameBuilder().Header(v).Build()), DecodeError::kBadVersion);
  EXPECT_EQ(reason(FrameBuilder().Header(From(2)).ClaimedPayloadLen(200).Build()),
            DecodeError::kPayloadPastEnd);
  auto full = FrameBuilder().Header(From(2)).Build();
  EXPECT_EQ(reason(std::vector<uint8_t>(full.begin(), full.begin() + 20)),
            DecodeError::kTruncatedHeader);
}

}  // namespace
}  // namespace dmpd
