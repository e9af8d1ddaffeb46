// SPDX-License-Identifier: BSD-3-Clause
// The virtual service on the wire: Ethernet frames translated by DoubleNat and addressed to
// the next hop the main lcore resolved; unknown next hops wanted once and counted.
#include "userspace/vs/frame_forwarder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "common/byte_order.h"
#include "tests/vs/vs_test_support.h"

namespace dmpd::vs {
namespace {

using test_support::BuildPacket;
using test_support::ChecksumsVerify;
using test_support::PacketSpec;

constexpr uint32_t kVip = 0xc6136401;      // 198.19.100.1
constexpr uint32_t kClient = 0xc6130a02;   // 198.19.10.2
constexpr uint32_t kBackend = 0xc6130b02;  // 198.19.11.2
constexpr uint8_t kSyn = 0x02, kSynAck = 0x12;
const MacAddress kPort0{0x02, 0, 0, 0, 0, 0x10};
const MacAddress kPort1{0x02, 0, 0, 0, 0, 0x11};
const MacAddress kBackendMac{0x02, 0xbb, 0, 0, 0, 0x02};
const MacAddress kClientMac{0x02, 0xcc, 0, 0, 0, 0x02};

std::unique_ptr<FrameForwarder> Make(size_t max_next_hops = 16, size_t max_wanted = 4) {
  FrameForwarder::Options o;
  o.nat.vdport_first = 61000;
  o.nat.vdport_last = 61099;
  o.nat.connections.capacity = 256;
  o.max_next_hops = max_next_hops;
  o.max_wanted = max_wanted;
  auto f = FrameForwarder::Create(o, {kPort0, kPort1});
  EXPECT_TRUE(f.ok()) << f.status();
  ServiceConfig s;
  s.vip = {kVip, 80};
  s.backends.push_back({{kBackend, 8080}, 1});
  EXPECT_TRUE((*f)->nat().AddService(s).ok());
  return *std::move(f);
}

std::vector<uint8_t> Frame(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                           uint8_t flags, uint16_t ethertype = kEtherTypeIpv4) {
  PacketSpec s;
  s.src_addr = src;
  s.src_port = sport;
  s.dst_addr = dst;
  s.dst_port = dport;
  s.tcp_flags = flags;
  const std::vector<uint8_t> ip = BuildPacket(s);
  std::vector<uint8_t> f(kEthernetHeaderLen, 0xee);  // whatever MACs it came with
  StoreBe16(&f[12], ethertype);
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

MacAddress Dst(const std::vector<uint8_t>& f) { return {f[0], f[1], f[2], f[3], f[4], f[5]}; }
MacAddress Src(const std::vector<uint8_t>& f) { return {f[6], f[7], f[8], f[9], f[10], f[11]}; }

TEST(FrameForwarderTest, AddressesBothDirectionsToTheirNextHops) {
  auto f = Make();
  f->SetNextHop(kBackend, {1, kBackendMac}, 0);
  f->SetNextHop(kClient, {0, kClientMac}, 0);
  auto syn = Frame(kClient, 40000, kVip, 80, kSyn);
  uint32_t port = 99, hop = 0;
  ASSERT_EQ(f->Process(syn, 1, &port, &hop), FrameVerdict::kForward);
  EXPECT_EQ(port, 1u);
  EXPECT_EQ(hop, kBackend);
  EXPECT_EQ(Dst(syn), kBackendMac);
  EXPECT_EQ(Src(syn), kPort1);
  const std::vector<uint8_t> ip(syn.begin() + kEthernetHeaderLen, syn.end());
  EXPECT_TRUE(ChecksumsVerify(ip));
  Ipv4L4View v;
  ASSERT_EQ(ParseIpv4L4(ip, &v), ParseError::kNone);
  EXPECT_EQ(v.src_addr, kVip);
  EXPECT_EQ(v.dst_addr, kBackend);

  auto reply = Frame(kBackend, 8080, kVip, v.src_port, kSynAck);
  ASSERT_EQ(f->Process(reply, 2, &port, &hop), FrameVerdict::kForward);
  EXPECT_EQ(port, 0u);
  EXPECT_EQ(hop, kClient);
  EXPECT_EQ(Dst(reply), kClientMac);
  EXPECT_EQ(Src(reply), kPort0);
}

TEST(FrameForwarderTest, AnUnknownNextHopIsWantedOnceAndTheFrameCanBeAddressedLater) {
  auto f = Make();
  auto a = Frame(kClient, 40000, kVip, 80, kSyn);
  auto b = Frame(kClient, 40001, kVip, 80, kSyn);
  uint32_t port = 0, hop = 0;
  EXPECT_EQ(f->Process(a, 1, &port, &hop), FrameVerdict::kUnresolved);
  EXPECT_EQ(hop, kBackend);
  EXPECT_EQ(f->Process(b, 1, &port, &hop), FrameVerdict::kUnresolved);
  EXPECT_EQ(f->counters().unresolved, 2u);
  std::vector<uint32_t> wanted;
  f->TakeWanted(wanted);
  EXPECT_EQ(wanted, std::vector<uint32_t>{kBackend});  // once, however many frames wait
  wanted.clear();
  f->TakeWanted(wanted);
  EXPECT_TRUE(wanted.empty());

  EXPECT_FALSE(f->Address(a, hop, 2, &port));
  EXPECT_TRUE(f->SetNextHop(kBackend, {0, kBackendMac}, 2));
  ASSERT_TRUE(f->Address(a, hop, 2, &port));
  EXPECT_EQ(port, 0u);
  EXPECT_EQ(Dst(a), kBackendMac);
  EXPECT_EQ(Src(a), kPort0);
  f->ForgetNextHop(kBackend);
  EXPECT_FALSE(f->Address(b, hop, 3, &port));
}

TEST(FrameForwarderTest, EntriesNoFrameUsedAreForgotten) {
  auto f = Make();
  constexpr uint64_t kS = 1'000'000'000;
  f->SetNextHop(kBackend, {0, kBackendMac}, 0);
  f->SetNextHop(kClient, {0, kClientMac}, 0);
  auto syn = Frame(kClient, 40000, kVip, 80, kSyn);
  uint32_t port = 0, hop = 0;
  ASSERT_EQ(f->Process(syn, 50 * kS, &port, &hop), FrameVerdict::kForward);  // uses kBackend
  EXPECT_EQ(f->ForgetIdle(70 * kS, 60 * kS), 1u);  // the client's, idle for 70 s
  ASSERT_EQ(f->next_hop_count(), 1u);
  EXPECT_EQ(f->NextHops().front().first, kBackend);
  EXPECT_EQ(f->ForgetIdle(111 * kS, 60 * kS), 1u);
  EXPECT_EQ(f->next_hop_count(), 0u);
}

TEST(FrameForwarderTest, OtherFramesAreRefusedAndCounted) {
  auto f = Make();
  uint32_t port = 0, hop = 0;
  auto arp = Frame(kClient, 40000, kVip, 80, kSyn, 0x0806);
  EXPECT_EQ(f->Process(arp, 1, &port, &hop), FrameVerdict::kDrop);
  EXPECT_EQ(f->counters().not_ipv4, 1u);
  std::vector<uint8_t> runt(10, 0);
  EXPECT_EQ(f->Process(runt, 1, &port, &hop), FrameVerdict::kDrop);
  EXPECT_EQ(f->counters().too_short, 1u);
  auto other = Frame(kClient, 40000, kVip, 22, kSyn);  // the node's SSH, not the service
  const auto before = other;
  EXPECT_EQ(f->Process(other, 1, &port, &hop), FrameVerdict::kNotOurs);
  EXPECT_EQ(other, before);
  std::vector<uint8_t> header_only = Frame(kClient, 40000, kVip, 80, kSyn);
  header_only.resize(kEthernetHeaderLen + 10);  // a truncated IPv4 header
  EXPECT_EQ(f->Process(header_only, 1, &port, &hop), FrameVerdict::kDrop);
}

TEST(FrameForwarderTest, BoundsAreCountedNotExceeded) {
  auto f = Make(/*max_next_hops=*/1, /*max_wanted=*/1);
  EXPECT_FALSE(f->SetNextHop(kClient, {7, kClientMac}, 0));  // no port 7
  EXPECT_EQ(f->counters().bad_next_hop_port, 1u);
  EXPECT_EQ(f->next_hop_count(), 0u);
  EXPECT_TRUE(f->SetNextHop(kClient, {0, kClientMac}, 0));
  EXPECT_FALSE(f->SetNextHop(kBackend, {0, kBackendMac}, 0));
  EXPECT_EQ(f->counters().next_hop_table_full, 1u);
  EXPECT_EQ(f->next_hop_count(), 1u);
  EXPECT_TRUE(f->SetNextHop(kClient, {1, kClientMac}, 0));  // an update takes no room
  EXPECT_EQ(f->NextHops().front().second.port, 1u);

  // One wanted address at most: the second unknown next hop is counted, not recorded.
  auto g = Make(16, 1);
  ServiceConfig s2;
  s2.vip = {kVip, 443};
  s2.backends.push_back({{0xc6130c02, 8443}, 1});
  ASSERT_TRUE(g->nat().AddService(s2).ok());
  auto a = Frame(kClient, 40000, kVip, 80, kSyn);
  auto b = Frame(kClient, 40000, kVip, 443, kSyn);
  uint32_t port = 0, hop = 0;
  EXPECT_EQ(g->Process(a, 1, &port, &hop), FrameVerdict::kUnresolved);
  EXPECT_EQ(g->Process(b, 1, &port, &hop), FrameVerdict::kUnresolved);
  EXPECT_EQ(g->counters().wanted_overflow, 1u);
}

}  // namespace
}  // namespace dmpd::vs
