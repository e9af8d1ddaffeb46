// SPDX-License-Identifier: BSD-3-Clause
// Services and backends as operators write them (config lines, dmpdctl vs), parsed and
// formatted back.
#include "userspace/vs/service_spec.h"

#include <gtest/gtest.h>

namespace dmpd::vs {
namespace {

TEST(ServiceSpecTest, ParsesAndFormatsWhatOperatorsWrite) {
  auto s = ParseServiceId("198.19.100.1:80/tcp");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->vip.addr, 0xc6136401u);
  EXPECT_EQ(s->vip.port, 80);
  EXPECT_EQ(FormatServiceId(*s), "198.19.100.1:80/tcp");
  EXPECT_EQ(ParseServiceId("198.19.100.1:53/udp")->proto, kProtoUdp);
  for (const char* bad : {"198.19.100.1:80", "198.19.100.1/tcp", "1.2.3:80/tcp",
                          "198.19.100.1:0/tcp", "198.19.100.1:65536/tcp", "x:80/sctp", ""}) {
    EXPECT_FALSE(ParseServiceId(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatEndpoint(*ParseEndpoint("10.0.0.2:8080")), "10.0.0.2:8080");
  auto r = ParsePortRange("61000-61099");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 61000);
  EXPECT_EQ(r->second, 61099);
  for (const char* bad : {"61099-61000", "0-10", "1-65536", "61000", "a-b"}) {
    EXPECT_FALSE(ParsePortRange(bad).ok()) << bad;
  }
}

TEST(ServiceSpecTest, AVipMustBeAnAddressOfTheNode) {
  const ServiceId id = *ParseServiceId("198.19.100.1:80/tcp");
  const uint32_t vip = id.vip.addr;
  EXPECT_TRUE(CheckVipIsLocal(id, {0x7f000001, vip}).ok());
  const absl::Status s = CheckVipIsLocal(*ParseServiceId("198.19.100.9:80/tcp"), {0x7f000001, vip});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "VIP 198.19.100.9 of 198.19.100.9:80/tcp is not an address of this node, so no "
            "packet for it would arrive: add it first (ip address add 198.19.100.9/32 dev PORT) "
            "and try again");
  EXPECT_FALSE(CheckVipIsLocal(id, {}).ok());
}

}  // namespace
}  // namespace dmpd::vs
