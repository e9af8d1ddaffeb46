// SPDX-License-Identifier: BSD-3-Clause
// The pipe session protocol: every request and reply survives encode/decode, a resize reply
// included (PIPE-2), and what an application or daemon could send wrongly is refused.
#include "userspace/pipe/session_protocol.h"

#include <gtest/gtest.h>

#include <variant>

#include "userspace/pipe/message_ring.h"

namespace dmpd::pipe {
namespace {

constexpr PipeConfig kConfig{.pipe = 42,
                             .priority = 5,
                             .rate_bytes_per_s = 1'000'000,
                             .burst_bytes = 65536,
                             .buffer_bytes = 4 << 20,
                             .copies = 2};

TEST(SessionProtocol, RequestsRoundTrip) {
  for (const SessionRequest& r : {SessionRequest{OpenRequest{kConfig}},
                                  SessionRequest{ReconfigureRequest{kConfig}},
                                  SessionRequest{CloseRequest{42}}, SessionRequest{StatsRequest{7}}}) {
    absl::StatusOr<SessionRequest> back = DecodeRequest(EncodeRequest(r));
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->index(), r.index());
  }
  auto re = DecodeRequest(EncodeRequest(ReconfigureRequest{kConfig}));
  EXPECT_EQ(std::get<ReconfigureRequest>(*re).config, kConfig);
}

TEST(SessionProtocol, ResizeReplyRoundTripsWithItsGrantedConfig) {
  const ResizeReply z{.region_bytes = 8 << 20, .rx_offset = 4 << 20, .granted = kConfig};
  absl::StatusOr<SessionReply> back = DecodeReply(EncodeReply(z));
  ASSERT_TRUE(back.ok()) << back.status();
  const auto* got = std::get_if<ResizeReply>(&*back);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->region_bytes, z.region_bytes);
  EXPECT_EQ(got->rx_offset, z.rx_offset);
  EXPECT_EQ(got->granted, kConfig);
  // A plain reconfigure still answers ok.
  EXPECT_TRUE(std::holds_alternative<OkReply>(*DecodeReply(EncodeReply(OkReply{}))));
}

TEST(SessionProtocol, ErrorsKeepTheirCode) {
  absl::StatusOr<SessionReply> back = DecodeReply(
      EncodeReply(ErrorReply{absl::UnavailableError("the last resize is still under way")}));
  ASSERT_TRUE(back.ok());
  const auto& e = std::get<ErrorReply>(*back);
  EXPECT_TRUE(absl::IsUnavailable(e.status));
  EXPECT_EQ(e.status.message(), "the last resize is still under way");
}

TEST(SessionProtocol, BadDatagramsAreRefused) {
  for (const char* bad :
       {"", "[]", "{\"op\":\"open\"}", "{\"op\":\"open\",\"pipe\":65535}",
        "{\"op\":\"reconfigure\",\"pipe\":1,\"buffer_bytes\":0}",
        "{\"op\":\"open\",\"pipe\":1,\"priority\":8}", "{\"op\":\"open\",\"pipe\":-1}",
        "{\"op\":\"fly\",\"pipe\":1}"}) {
    EXPECT_FALSE(DecodeRequest(bad).ok()) << bad;
  }
  for (const char* bad : {"{\"ok\":true,\"kind\":\"resize\",\"region_bytes\":1}",
                          "{\"ok\":true,\"kind\":\"resize\",\"region_bytes\":1,\"rx_offset\":1}",
                          "{\"ok\":true,\"kind\":\"teleport\"}"}) {
    EXPECT_FALSE(DecodeReply(bad).ok()) << bad;
  }
}

TEST(SessionProtocol, LayoutRoundsUpToAPowerOfTwoThatHoldsTwoLargestMessages) {
  const RegionLayout small = LayoutFor(1, kMaxRingMessage);
  EXPECT_EQ(small.ring_capacity, MinRingCapacity(kMaxRingMessage));
  const RegionLayout l = LayoutFor(3 << 20, kMaxRingMessage);
  EXPECT_EQ(l.ring_capacity, 4u << 20);
  EXPECT_EQ(l.rx_offset % 4096, 0u);
  EXPECT_GE(l.rx_offset, l.ring_region_bytes);
  EXPECT_GE(l.total_bytes, l.rx_offset + l.ring_region_bytes);
}

}  // namespace
}  // namespace dmpd::pipe
