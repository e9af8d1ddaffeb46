// SPDX-License-Identifier: BSD-3-Clause
// Parsing hostile IPv4 packets, and the incremental checksum updates of a rewrite against
// a full recomputation on random packets.
#include "userspace/vs/ipv4_l4_packet.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "common/byte_order.h"
#include "tests/vs/vs_test_support.h"
#include "userspace/vs/internet_checksum.h"

namespace dmpd::vs {
namespace {

using test_support::BuildPacket;
using test_support::ChecksumsVerify;
using test_support::PacketSpec;

// A valid packet with random addresses, ports, TTL and `payload` random bytes.
std::vector<uint8_t> MakePacket(std::mt19937& rng, uint8_t proto, size_t payload,
                                bool udp_checksum = true) {
  PacketSpec s;
  s.proto = proto;
  s.src_addr = static_cast<uint32_t>(rng());
  s.dst_addr = static_cast<uint32_t>(rng());
  s.src_port = static_cast<uint16_t>(rng());
  s.dst_port = static_cast<uint16_t>(rng());
  s.tcp_flags = static_cast<uint8_t>(rng());
  s.ttl = static_cast<uint8_t>(2 + rng() % 250);
  s.payload.resize(payload);
  for (auto& b : s.payload) b = static_cast<uint8_t>(rng());
  s.udp_checksum = udp_checksum;
  return BuildPacket(s);
}

void ExpectChecksumsVerify(const std::vector<uint8_t>& p) { EXPECT_TRUE(ChecksumsVerify(p)); }

TEST(Ipv4L4Packet, RewriteKeepsChecksumsRightOnRandomPackets) {
  std::mt19937 rng(20261129);
  for (int i = 0; i < 20000; ++i) {
    const uint8_t proto = i % 2 ? kProtoTcp : kProtoUdp;
    std::vector<uint8_t> p = MakePacket(rng, proto, rng() % 300);
    Ipv4L4View v;
    ASSERT_EQ(ParseIpv4L4(p, &v), ParseError::kNone) << i;
    const uint8_t ttl = p[8];
    const Translation to{static_cast<uint32_t>(rng()), static_cast<uint16_t>(rng()),
                         static_cast<uint32_t>(rng()), static_cast<uint16_t>(rng())};
    ASSERT_TRUE(RewriteIpv4L4(p, v, to));
    ExpectChecksumsVerify(p);
    Ipv4L4View after;
    ASSERT_EQ(ParseIpv4L4(p, &after), ParseError::kNone);
    EXPECT_EQ(after.src_addr, to.src_addr);
    EXPECT_EQ(after.dst_addr, to.dst_addr);
    EXPECT_EQ(after.src_port, to.src_port);
    EXPECT_EQ(after.dst_port, to.dst_port);
    EXPECT_EQ(p[8], ttl - 1);
    if (HasFailure()) FAIL() << "packet " << i;
  }
}

TEST(Ipv4L4Packet, UdpWithoutChecksumStaysWithout) {
  std::mt19937 rng(7);
  std::vector<uint8_t> p = MakePacket(rng, kProtoUdp, 40, /*udp_checksum=*/false);
  Ipv4L4View v;
  ASSERT_EQ(ParseIpv4L4(p, &v), ParseError::kNone);
  ASSERT_TRUE(RewriteIpv4L4(p, v, {1, 2, 3, 4}));
  EXPECT_EQ(LoadBe16(&p[26]), 0);
  ExpectChecksumsVerify(p);
}

TEST(Ipv4L4Packet, TtlOfOneIsNotForwarded) {
  std::mt19937 rng(8);
  std::vector<uint8_t> p = MakePacket(rng, kProtoTcp, 0);
  p[8] = 1;
  StoreBe16(&p[10], 0);
  StoreBe16(&p[10], InternetChecksum(std::span(p).first(20)));
  const std::vector<uint8_t> before = p;
  Ipv4L4View v;
  ASSERT_EQ(ParseIpv4L4(p, &v), ParseError::kNone);
  EXPECT_FALSE(RewriteIpv4L4(p, v, {1, 2, 3, 4}));
  EXPECT_EQ(p, before);
}

TEST(Ipv4L4Packet, ReadsAddressesPortsAndFlags) {
  std::mt19937 rng(9);
  std::vector<uint8_t> p = MakePacket(rng, kProtoTcp, 10);
  StoreBe32(&p[12], 0x0a000001);
  StoreBe32(&p[16], 0x0a000002);
  StoreBe16(&p[20], 12345);
  StoreBe16(&p[22], 80);
  p[33] = kTcpSyn;
  StoreBe16(&p[10], 0);
  StoreBe16(&p[10], InternetChecksum(std::span(p).first(20)));
  Ipv4L4View v;
  ASSERT_EQ(ParseIpv4L4(p, &v), ParseError::kNone);
  EXPECT_EQ(v.proto, kProtoTcp);
  EXPECT_EQ(v.src_addr, 0x0a000001u);
  EXPECT_EQ(v.dst_addr, 0x0a000002u);
  EXPECT_EQ(v.src_port, 12345);
  EXPECT_EQ(v.dst_port, 80);
  EXPECT_EQ(v.tcp_flags, kTcpSyn);
  EXPECT_EQ(v.l4_offset, 20u);
}

// Hostile input: every refusal has its reason, and none reads past the packet (ASan).
TEST(Ipv4L4Packet, RefusesWhatItCannotForward) {
  std::mt19937 rng(10);
  auto fix = [](std::vector<uint8_t>& p) {
    StoreBe16(&p[10], 0);
    StoreBe16(&p[10], InternetChecksum(std::span(p).first(std::min<size_t>(p.size(), 20))));
  };
  Ipv4L4View v;
  const std::vector<uint8_t> good = MakePacket(rng, kProtoTcp, 20);
  for (size_t len = 0; len < 20; ++len) {
    EXPECT_EQ(ParseIpv4L4(std::span(good).first(len), &v), ParseError::truncated_ip) << len;
  }
  auto p = good;
  p[0] = 0x65;  // version 6
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::not_ipv4);
  p = good;
  p[0] = 0x44;  // IHL 16 bytes
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::not_ipv4);
  p = good;
  p[0] = 0x46;  // options
  fix(p);
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::ip_options);
  p = good;
  StoreBe16(&p[2], static_cast<uint16_t>(p.size() + 1));  // longer than the buffer
  fix(p);
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::truncated_ip);
  p = good;
  p[10] ^= 0x01;
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::bad_ip_checksum);
  p = good;
  StoreBe16(&p[6], 0x2000);  // more fragments
  fix(p);
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::fragment);
  p = good;
  StoreBe16(&p[6], 0x0010);  // an offset
  fix(p);
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::fragment);
  p = good;
  p[9] = 1;  // ICMP
  fix(p);
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::not_tcp_udp);
  p = good;
  StoreBe16(&p[2], 20 + 19);  // a TCP header cut short by the IP length
  fix(p);
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::truncated_l4);
  p = good;
  p[32] = 0xF0;  // data offset 60 bytes, more than there is
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::truncated_l4);
  p = good;
  p[32] = 0x40;  // data offset 16 bytes: below a header
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::truncated_l4);
  auto u = MakePacket(rng, kProtoUdp, 4);
  StoreBe16(&u[24], 100);  // UDP length past the packet
  EXPECT_EQ(ParseIpv4L4(u, &v), ParseError::truncated_l4);
  StoreBe16(&u[24], 4);  // below its header
  EXPECT_EQ(ParseIpv4L4(u, &v), ParseError::truncated_l4);
  // Random bytes: whatever the verdict, no read past the end.
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> junk(rng() % 80);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    if (!junk.empty()) junk[0] = 0x45;
    (void)ParseIpv4L4(junk, &v);
  }
}

TEST(InternetChecksum, Rfc1624Example) {
  // RFC 1624 §4: HC 0xDD2F, m 0x5555 -> m' 0x3285 gives HC' 0x0000.
  EXPECT_EQ(ChecksumAdjust16(0xDD2F, 0x5555, 0x3285), 0x0000);
}

}  // namespace
}  // namespace dmpd::vs
