// SPDX-License-Identifier: BSD-3-Clause
#include "common/frame_header.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace dmpd {
namespace {

FrameHeader SampleHeader() {
  FrameHeader h;
  h.kind = DMPD_KIND_HELLO;
  h.flags = DMPD_HDR_F_AUTH | DMPD_HDR_F_SEGMENT;  // every flag version 1 defines
  h.cluster_id = 0xA1B2C3D4;
  h.sender_node = 7;
  h.sender_port = 1;
  h.sequence = 0x01020304;
  h.payload_len = 4;
  return h;
}

TEST(FrameHeader, GoldenBytes) {
  std::array<uint8_t, kFrameHeaderLen> buf{};
  ASSERT_TRUE(EncodeFrameHeader(SampleHeader(), buf).ok());
  const std::array<uint8_t, kFrameHeaderLen> golden = {
      0x01, 0x01, 0x00, 0x03,  // version, kind, flags
      0xA1, 0xB2, 0xC3, 0xD4,  // cluster id
      0x00, 0x07, 0x00, 0x01,  // sender node, sender port
      0x01, 0x02, 0x03, 0x04,  // sequence
      0x00, 0x04, 0x00, 0x00,  // payload length, reserved
  };
  EXPECT_EQ(buf, golden);
}

TEST(FrameHeader, RoundTripWithPayloadAndPadding) {
  std::vector<uint8_t> frame(kFrameHeaderLen + 4 + 10, 0xEE);  // 10 bytes of padding
  ASSERT_TRUE(EncodeFrameHeader(SampleHeader(), frame).ok());
  auto decoded = DecodeFrameHeader(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->header, SampleHeader());
  EXPECT_EQ(decoded->payload.size(), 4u);
  EXPECT_EQ(decoded->payload.data(), frame.data() + kFrameHeaderLen);
}

TEST(FrameHeader, RejectsEveryTruncation) {
  std::vector<uint8_t> frame(kFrameHeaderLen + 4, 0);
  ASSERT_TRUE(EncodeFrameHeader(SampleHeader(), frame).ok());
  for (size_t len = 0; len < frame.size(); ++len) {
    DecodeError why{};
    auto decoded = DecodeFrameHeader(std::span(frame).first(len), &why);
    ASSERT_FALSE(decoded.ok()) << "accepted a frame cut at " << len;
    EXPECT_EQ(why,
              len < kFrameHeaderLen ? DecodeError::kTruncatedHeader : DecodeError::kPayloadPastEnd);
  }
}

TEST(FrameHeader, RejectsBadVersionAndHugeLength) {
  std::vector<uint8_t> frame(kFrameHeaderLen + 4, 0);
  FrameHeader h = SampleHeader();
  h.version = 2;
  ASSERT_TRUE(EncodeFrameHeader(h, frame).ok());
  DecodeError why{};
  EXPECT_FALSE(DecodeFrameHeader(frame, &why).ok());
  EXPECT_EQ(why, DecodeError::kBadVersion);

  h = SampleHeader();
  h.payload_len = 0xFFFF;
  ASSERT_TRUE(EncodeFrameHeader(h, frame).ok());
  auto decoded = DecodeFrameHeader(frame, &why);
  EXPECT_FALSE(decoded.ok());
  EXPECT_EQ(why, DecodeError::kPayloadPastEnd);
  EXPECT_EQ(decoded.status().message(), "payload_past_end");
}

TEST(FrameHeader, EncodeNeedsRoom) {
  std::array<uint8_t, kFrameHeaderLen - 1> small{};
  EXPECT_FALSE(EncodeFrameHeader(SampleHeader(), small).ok());
}

std::vector<uint8_t> EthernetFrame(std::vector<uint16_t> ethertypes) {
  std::vector<uint8_t> f(12, 0xAA);  // dst + src MAC
  for (size_t i = 0; i < ethertypes.size(); ++i) {
    f.push_back(static_cast<uint8_t>(ethertypes[i] >> 8));
    f.push_back(static_cast<uint8_t>(ethertypes[i]));
    if (i + 1 < ethertypes.size()) {  // the tag's TCI
      f.push_back(0x00);
      f.push_back(0x05);
    }
  }
  return f;
}

TEST(FindDmpdHeader, PlainAndTagged) {
  EXPECT_EQ(*FindDmpdHeader(EthernetFrame({0x88B5}), 0x88B5), 14u);
  EXPECT_EQ(*FindDmpdHeader(EthernetFrame({0x8100, 0x88B5}), 0x88B5), 18u);
  EXPECT_EQ(*FindDmpdHeader(EthernetFrame({0x88A8, 0x8100, 0x88B5}), 0x88B5), 22u);
}

TEST(FindDmpdHeader, RejectsOthersAndShortFrames) {
  DecodeError why{};
  EXPECT_FALSE(FindDmpdHeader(EthernetFrame({0x0800}), 0x88B5, &why).ok());
  EXPECT_EQ(why, DecodeError::kNotDmpd);
  // Three tags is one more than we look through: the frame is not ours.
  EXPECT_FALSE(FindDmpdHeader(EthernetFrame({0x8100, 0x8100, 0x8100, 0x88B5}), 0x88B5).ok());
  auto tagged = EthernetFrame({0x8100, 0x88B5});
  for (size_t len = 0; len < tagged.size(); ++len) {
    EXPECT_FALSE(FindDmpdHeader(std::span(tagged).first(len), 0x88B5).ok()) << len;
  }
}

}  // namespace
}  // namespace dmpd
