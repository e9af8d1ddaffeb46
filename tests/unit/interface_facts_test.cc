// SPDX-License-Identifier: BSD-3-Clause
// Which interfaces can be ports, and which XDP modes are accepted (DP-4).
#include "userspace/xdp/interface_facts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <net/if_arp.h>

namespace dmpd {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

InterfaceFacts Eth(std::array<uint8_t, 6> mac = {0x02, 0xdd, 0, 0, 1, 0}) {
  return {.name = "eth1", .flags = IFF_UP | IFF_BROADCAST, .hw_type = ARPHRD_ETHER, .mac = mac};
}

std::string Refusal(const InterfaceFacts& f) {
  absl::Status s = CheckPortInterface(f);
  EXPECT_FALSE(s.ok());
  return std::string(s.message());
}

TEST(PortInterface, EthernetWithUnicastMacIsAccepted) {
  EXPECT_TRUE(CheckPortInterface(Eth()).ok());
  EXPECT_TRUE(CheckPortInterface(Eth({0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10})).ok());
}

TEST(PortInterface, LoopbackIsRefused) {
  InterfaceFacts lo{
      .name = "lo", .flags = IFF_UP | IFF_LOOPBACK, .hw_type = ARPHRD_LOOPBACK, .mac = {}};
  EXPECT_THAT(Refusal(lo), AllOf(HasSubstr("refusing interface lo"), HasSubstr("loopback"),
                                 HasSubstr("--interfaces")));
  // Even one that claims to be Ethernet.
  InterfaceFacts odd = Eth();
  odd.flags |= IFF_LOOPBACK;
  EXPECT_THAT(Refusal(odd), HasSubstr("loopback"));
}

TEST(PortInterface, NoUnicastMacIsRefused) {
  EXPECT_THAT(Refusal(Eth({0, 0, 0, 0, 0, 0})),
              AllOf(HasSubstr("eth1"), HasSubstr("no MAC address"), HasSubstr("ip link set")));
  EXPECT_THAT(Refusal(Eth({0x01, 0x00, 0x5e, 0, 0, 1})),
              AllOf(HasSubstr("01:00:5e:00:00:01"), HasSubstr("multicast")));
  EXPECT_THAT(Refusal(Eth({0xff, 0xff, 0xff, 0xff, 0xff, 0xff})), HasSubstr("multicast"));
}

TEST(PortInterface, NotEthernetIsRefused) {
  InterfaceFacts tun = Eth();
  tun.name = "wg0";
  tun.hw_type = ARPHRD_NONE;
  EXPECT_THAT(Refusal(tun), AllOf(HasSubstr("wg0"), HasSubstr("not an Ethernet interface")));
}

TEST(XdpModeCheck, NativeAcceptedGenericOnlyWhenAllowed) {
  EXPECT_TRUE(CheckXdpMode("eth1", XdpMode::kNative, false).ok());
  absl::Status s = CheckXdpMode("d0", XdpMode::kGeneric, false);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing interface d0"), HasSubstr("no native XDP"),
                    HasSubstr("allow_generic_xdp = true"), HasSubstr("--allow-generic-xdp true")));
  EXPECT_TRUE(CheckXdpMode("d0", XdpMode::kGeneric, true).ok());
  EXPECT_FALSE(CheckXdpMode("d0", XdpMode::kNone, true).ok());
}

TEST(ReadInterfaceFacts, LoopbackOfThisNamespace) {
  auto lo = ReadInterfaceFacts("lo");
  ASSERT_TRUE(lo.ok()) << lo.status();
  EXPECT_NE(lo->flags & IFF_LOOPBACK, 0u);
  EXPECT_GE(lo->mtu, 1500u);  // 65536 by default; read, not left at 0
  EXPECT_FALSE(CheckPortInterface(*lo).ok());
  EXPECT_FALSE(ReadInterfaceFacts("no_such_if0").ok());
}

}  // namespace
}  // namespace dmpd
