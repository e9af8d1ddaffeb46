// SPDX-License-Identifier: BSD-3-Clause
// The virtual service's per-packet path end to end in memory: a client's connection
// through the VIP to a backend and the backend's replies back, Max-CC, schedulers and
// health, hostile and stray packets, services and backends changed at run time.
#include "userspace/vs/double_nat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "tests/vs/vs_test_support.h"

namespace dmpd::vs {
namespace {

using test_support::BuildPacket;
using test_support::ChecksumsVerify;
using test_support::PacketSpec;

constexpr uint32_t kVip = 0x0a000064;      // 10.0.0.100
constexpr uint32_t kClient = 0x0a020007;   // 10.2.0.7
constexpr uint64_t kSecond = 1'000'000'000;
const Endpoint kService{kVip, 80};
const std::vector<Endpoint> kBackends{{0x0a010001, 8080}, {0x0a030001, 8080}, {0x0a030002, 8080}};

std::unique_ptr<DoubleNat> Make(uint16_t first = 40000, uint16_t last = 40099,
                                std::string scheduler = "rr") {
  DoubleNat::Options o;
  o.vdport_first = first;
  o.vdport_last = last;
  o.max_backends = 16;
  o.connections.capacity = 4096;
  auto nat = DoubleNat::Create(o);
  EXPECT_TRUE(nat.ok()) << nat.status();
  ServiceConfig s;
  s.vip = kService;
  s.scheduler = std::move(scheduler);
  for (const Endpoint& b : kBackends) s.backends.push_back({b, 1});
  EXPECT_TRUE((*nat)->AddService(s).ok());
  return *std::move(nat);
}

std::vector<uint8_t> Tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                         uint8_t flags) {
  PacketSpec s;
  s.src_addr = src;
  s.src_port = sport;
  s.dst_addr = dst;
  s.dst_port = dport;
  s.tcp_flags = flags;
  s.payload = {'h', 'i'};
  return BuildPacket(s);
}

struct Seen {
  uint32_t src_addr, dst_addr;
  uint16_t src_port, dst_port;
};

Seen Read(const std::vector<uint8_t>& p) {
  Ipv4L4View v;
  EXPECT_EQ(ParseIpv4L4(p, &v), ParseError::kNone);
  EXPECT_TRUE(ChecksumsVerify(p));
  return {v.src_addr, v.dst_addr, v.src_port, v.dst_port};
}

TEST(DoubleNat, ARequestAndItsReplyAreTranslatedBothWays) {
  auto nat = Make();
  auto syn = Tcp(kClient, 5555, kVip, 80, kTcpSyn);
  ForwardTo to;
  ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward);
  const Seen req = Read(syn);
  EXPECT_EQ(req.src_addr, kVip);  // vip:vdport -> bip:bport
  EXPECT_GE(req.src_port, 40000);
  EXPECT_LE(req.src_port, 40099);
  EXPECT_EQ(req.dst_addr, kBackends[0].addr);
  EXPECT_EQ(req.dst_port, 8080);
  EXPECT_EQ(to.next_hop, kBackends[0].addr);

  // The backend answers vip:vdport; it goes back as vip:vport -> cip:cport.
  auto synack = Tcp(kBackends[0].addr, 8080, kVip, req.src_port, kTcpSyn | kTcpAck);
  ASSERT_EQ(nat->Process(synack, 1, &to), Verdict::kForward);
  const Seen rep = Read(synack);
  EXPECT_EQ(rep.src_addr, kVip);
  EXPECT_EQ(rep.src_port, 80);
  EXPECT_EQ(rep.dst_addr, kClient);
  EXPECT_EQ(rep.dst_port, 5555);
  EXPECT_EQ(to.next_hop, kClient);

  // The client's ACK establishes it; later packets take the same translation.
  auto ack = Tcp(kClient, 5555, kVip, 80, kTcpAck);
  ASSERT_EQ(nat->Process(ack, 2, &to), Verdict::kForward);
  EXPECT_EQ(Read(ack).src_port, req.src_port);
  EXPECT_EQ(nat->connections().count_in(ConnState::kEstablished), 1u);
  EXPECT_EQ(nat->counters().connections_created, 1u);
  EXPECT_EQ(nat->counters().forwarded_in, 2u);
  EXPECT_EQ(nat->counters().forwarded_out, 1u);
}

TEST(DoubleNat, AReusedClientPortKeepsItsBackendAndVdport) {
  auto nat = Make();  // round robin over the three backends
  ForwardTo to;
  auto syn = Tcp(kClient, 5555, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward);
  const Seen first = Read(syn);
  EXPECT_EQ(first.dst_addr, kBackends[0].addr);
  // The server closes first (HTTP/1.0), then the client.
  auto server_fin = Tcp(kBackends[0].addr, 8080, kVip, first.src_port, kTcpFin | kTcpAck);
  ASSERT_EQ(nat->Process(server_fin, 1, &to), Verdict::kForward);
  EXPECT_EQ(nat->connections().count_in(ConnState::kFinWait), 1u);
  auto client_fin = Tcp(kClient, 5555, kVip, 80, kTcpFin | kTcpAck);
  ASSERT_EQ(nat->Process(client_fin, 2, &to), Verdict::kForward);
  EXPECT_EQ(nat->connections().count_in(ConnState::kFinWait), 1u);

  // The client reuses its port at once: a new connection on the same backend and vdport,
  // whose TIME_WAIT for that pair accepts the same client's later SYN.
  auto again = Tcp(kClient, 5555, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(again, 3, &to), Verdict::kForward);
  EXPECT_EQ(Read(again).dst_addr, kBackends[0].addr);
  EXPECT_EQ(Read(again).src_port, first.src_port);
  EXPECT_EQ(nat->counters().port_reused, 1u);
  EXPECT_EQ(nat->counters().rescheduled, 0u);
  EXPECT_EQ(nat->counters().connections_created, 2u);
  EXPECT_EQ(nat->connections().size(), 1u);
  EXPECT_EQ(nat->connections().count_in(ConnState::kSynRecv), 1u);
  EXPECT_EQ(nat->vdports().in_use(), 1u);
  // The next new client still gets the scheduler's next backend.
  auto other = Tcp(kClient, 5556, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(other, 4, &to), Verdict::kForward);
  EXPECT_EQ(Read(other).dst_addr, kBackends[1].addr);
}

// A backend that is down gets no connection, not even a reused port's: the SYN is
// scheduled anew. The old entry keeps its vdport toward that backend until it times out
// (the backend may still hold TIME_WAIT for the pair), and drops its late replies, which
// would land in the new connection's 4-tuple.
TEST(DoubleNat, AReusedPortOfADownBackendIsScheduledAnew) {
  auto nat = Make(40000, 40000);  // one vdport: its pair toward each backend shows
  ForwardTo to;
  auto syn = Tcp(kClient, 5555, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward);
  const Seen first = Read(syn);
  auto server_fin = Tcp(first.dst_addr, 8080, kVip, first.src_port, kTcpFin | kTcpAck);
  ASSERT_EQ(nat->Process(server_fin, 1, &to), Verdict::kForward);
  ASSERT_TRUE(nat->SetBackendHealth(kService, kProtoTcp, kBackends[0], false).ok());
  const uint64_t reuse_ns = 10 * kSecond;
  auto again = Tcp(kClient, 5555, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(again, reuse_ns, &to), Verdict::kForward);
  EXPECT_NE(Read(again).dst_addr, first.dst_addr);
  EXPECT_EQ(nat->counters().rescheduled, 1u);
  EXPECT_EQ(nat->counters().port_reused, 0u);
  EXPECT_EQ(nat->vdports().in_use(), 2u);
  auto late = Tcp(first.dst_addr, 8080, kVip, first.src_port, kTcpAck);
  EXPECT_EQ(nat->Process(late, reuse_ns + 1, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().no_connection_out, 1u);
  // A retransmitted SYN of the new connection follows it.
  auto retransmit = Tcp(kClient, 5555, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(retransmit, reuse_ns + 2, &to), Verdict::kForward);
  EXPECT_EQ(Read(retransmit).dst_addr, Read(again).dst_addr);
  EXPECT_EQ(nat->counters().rescheduled, 1u);
  nat->Expire(reuse_ns + 119 * kSecond);
  // The new connection saw only SYNs (60 s) and is gone; the old pair is still taken.
  EXPECT_EQ(nat->connections().size(), 1u);
  EXPECT_EQ(nat->vdports().in_use(), 1u);
  nat->Expire(reuse_ns + 121 * kSecond);
  EXPECT_EQ(nat->vdports().in_use(), 0u);
  EXPECT_EQ(nat->connections().size(), 0u);
}

TEST(DoubleNat, MaxConcurrentConnectionsIsPortsTimesBackends) {
  auto nat = Make(40000, 40099);  // 100 vdports, 3 backends
  ForwardTo to;
  std::map<uint32_t, std::set<uint16_t>> vdports_by_backend;
  for (uint16_t i = 0; i < 300; ++i) {
    auto syn = Tcp(kClient + i / 100, static_cast<uint16_t>(1024 + i), kVip, 80, kTcpSyn);
    ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward) << "connection " << i;
    const Seen s = Read(syn);
    EXPECT_TRUE(vdports_by_backend[s.dst_addr].insert(s.src_port).second);
  }
  for (const auto& [backend, ports] : vdports_by_backend) EXPECT_EQ(ports.size(), 100u);
  auto one_more = Tcp(kClient + 9, 9999, kVip, 80, kTcpSyn);
  EXPECT_EQ(nat->Process(one_more, 0, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().no_vdport, 1u);
  EXPECT_EQ(nat->vdports().ports_in_use(), 100u);
  // The three oldest connections end (their timeout; round robin gave them one backend
  // each): their ports serve new connections again, whichever backend comes next.
  EXPECT_EQ(nat->Expire(61 * kSecond, 3), 3u);
  EXPECT_EQ(nat->vdports().in_use(), 297u);
  auto again = Tcp(kClient + 9, 9999, kVip, 80, kTcpSyn);
  EXPECT_EQ(nat->Process(again, 61 * kSecond, &to), Verdict::kForward);
}

TEST(DoubleNat, NewConnectionsSpreadAsTheSchedulerSaysAndSkipUnhealthyBackends) {
  auto nat = Make(40000, 40999, "rr");
  ForwardTo to;
  std::map<uint32_t, int> per_backend;
  for (uint16_t i = 0; i < 300; ++i) {
    auto syn = Tcp(kClient, static_cast<uint16_t>(2000 + i), kVip, 80, kTcpSyn);
    ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward);
    ++per_backend[to.next_hop];
  }
  for (const Endpoint& b : kBackends) EXPECT_EQ(per_backend[b.addr], 100);
  ASSERT_TRUE(nat->SetBackendHealth(kService, kProtoTcp, kBackends[1], false).ok());
  per_backend.clear();
  for (uint16_t i = 0; i < 100; ++i) {
    auto syn = Tcp(kClient, static_cast<uint16_t>(3000 + i), kVip, 80, kTcpSyn);
    ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward);
    ++per_backend[to.next_hop];
  }
  EXPECT_EQ(per_backend[kBackends[1].addr], 0);
  EXPECT_EQ(per_backend[kBackends[0].addr] + per_backend[kBackends[2].addr], 100);
  // Its existing connections still work.
  auto old = Tcp(kClient, 2001, kVip, 80, kTcpAck);
  EXPECT_EQ(nat->Process(old, 1, &to), Verdict::kForward);
  EXPECT_EQ(to.next_hop, kBackends[1].addr);
}

TEST(DoubleNat, StrayAndHostilePacketsAreCountedNeverForwarded) {
  auto nat = Make();
  ForwardTo to;
  auto rst = Tcp(kClient, 7000, kVip, 80, kTcpRst);
  EXPECT_EQ(nat->Process(rst, 0, &to), Verdict::kDrop);
  auto fin = Tcp(kClient, 7001, kVip, 80, kTcpFin | kTcpAck);
  EXPECT_EQ(nat->Process(fin, 0, &to), Verdict::kDrop);
  auto ack = Tcp(kClient, 7002, kVip, 80, kTcpAck);
  EXPECT_EQ(nat->Process(ack, 0, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().no_connection_in, 3u);
  auto reply = Tcp(kBackends[0].addr, 8080, kVip, 40005, kTcpAck);  // no such connection
  EXPECT_EQ(nat->Process(reply, 0, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().no_connection_out, 1u);
  auto ssh = Tcp(kClient, 7003, kVip, 22, kTcpSyn);  // the node's own SSH on the VIP
  EXPECT_EQ(nat->Process(ssh, 0, &to), Verdict::kNotOurs);
  auto other = Tcp(kClient, 7004, 0x0a0000c8, 80, kTcpSyn);
  EXPECT_EQ(nat->Process(other, 0, &to), Verdict::kNotOurs);
  auto broken = Tcp(kClient, 7005, kVip, 80, kTcpSyn);
  broken[10] ^= 0xFF;  // IPv4 checksum
  EXPECT_EQ(nat->Process(broken, 0, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().parse_errors[static_cast<size_t>(ParseError::bad_ip_checksum)], 1u);
  EXPECT_EQ(nat->connections().size(), 0u);
  auto ttl1 = Tcp(kClient, 7006, kVip, 80, kTcpSyn);
  ttl1[8] = 1;
  ttl1[10] = ttl1[11] = 0;
  StoreBe16(&ttl1[10], InternetChecksum(std::span(ttl1).first(20)));
  EXPECT_EQ(nat->Process(ttl1, 0, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().ttl_expired, 1u);
}

TEST(DoubleNat, ARemovedBackendDrainsAndAServiceComesAndGoesAtRunTime) {
  auto nat = Make(40000, 40999);
  ForwardTo to;
  auto syn = Tcp(kClient, 5000, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(syn, 0, &to), Verdict::kForward);
  const uint32_t backend = to.next_hop;
  const Endpoint removed = *std::find_if(kBackends.begin(), kBackends.end(),
                                         [&](const Endpoint& e) { return e.addr == backend; });
  ASSERT_TRUE(nat->RemoveBackend(kService, kProtoTcp, removed).ok());
  // No new connection goes there...
  for (uint16_t i = 0; i < 30; ++i) {
    auto s = Tcp(kClient, static_cast<uint16_t>(6000 + i), kVip, 80, kTcpSyn);
    ASSERT_EQ(nat->Process(s, 0, &to), Verdict::kForward);
    EXPECT_NE(to.next_hop, backend);
  }
  // ...but the existing one keeps working, and shows as draining.
  auto more = Tcp(kClient, 5000, kVip, 80, kTcpAck);
  EXPECT_EQ(nat->Process(more, 1, &to), Verdict::kForward);
  EXPECT_EQ(to.next_hop, backend);
  std::vector<ServiceReport> r = nat->Report();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].config.backends.size(), 2u);
  EXPECT_TRUE(r[0].backends.back().draining);

  // A second service on the same VIP, added and removed while the first one runs.
  ServiceConfig dns;
  dns.vip = {kVip, 53};
  dns.proto = kProtoUdp;
  dns.backends = {{{0x0a010009, 53}, 1}};
  ASSERT_TRUE(nat->AddService(dns).ok());
  EXPECT_FALSE(nat->AddService(dns).ok());  // twice
  PacketSpec q;
  q.proto = kProtoUdp;
  q.src_addr = kClient;
  q.src_port = 3333;
  q.dst_addr = kVip;
  q.dst_port = 53;
  auto query = BuildPacket(q);
  ASSERT_EQ(nat->Process(query, 2, &to), Verdict::kForward);
  EXPECT_EQ(to.next_hop, 0x0a010009u);
  ASSERT_TRUE(nat->RemoveService(dns.vip, kProtoUdp).ok());
  auto query2 = BuildPacket(q);  // its connection drains: still forwarded
  EXPECT_EQ(nat->Process(query2, 3, &to), Verdict::kForward);
  q.src_port = 3334;  // a new one is refused while it drains
  auto query3 = BuildPacket(q);
  EXPECT_EQ(nat->Process(query3, 3, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().service_draining, 1u);
  nat->Expire(400 * kSecond);  // UDP 300 s: drained, gone
  auto query4 = BuildPacket(q);
  EXPECT_EQ(nat->Process(query4, 400 * kSecond, &to), Verdict::kNotOurs);
  EXPECT_TRUE(nat->AddService(dns).ok());  // and may come back
  // The first service never noticed (its established connections are still there until
  // their own timeouts).
  auto first = Tcp(kClient, 6001, kVip, 80, kTcpAck);
  EXPECT_EQ(nat->Process(first, 400 * kSecond, &to), Verdict::kDrop)
      << "SYN_RECV entries time out after 60 s: the handshake never finished";
}

// The known limit (docs/vs.md): two services on one VIP with the same backend can draw the
// same vdport toward it; the second connection is refused and counted, never mixed up.
TEST(DoubleNat, TwoServicesSharingABackendAndAVipConflictCounted) {
  DoubleNat::Options o;
  o.vdport_first = 40000;
  o.vdport_last = 40000;  // one vdport
  o.connections.capacity = 16;
  auto nat = *DoubleNat::Create(o);
  for (uint16_t port : {80, 81}) {
    ServiceConfig s;
    s.vip = {kVip, port};
    s.backends = {{kBackends[0], 1}};
    ASSERT_TRUE(nat->AddService(s).ok());
  }
  ForwardTo to;
  auto a = Tcp(kClient, 1000, kVip, 80, kTcpSyn);
  ASSERT_EQ(nat->Process(a, 0, &to), Verdict::kForward);
  auto b = Tcp(kClient, 1001, kVip, 81, kTcpSyn);
  EXPECT_EQ(nat->Process(b, 0, &to), Verdict::kDrop);
  EXPECT_EQ(nat->counters().vdport_conflict, 1u);
  EXPECT_EQ(nat->counters().table_full, 0u);
  EXPECT_EQ(nat->vdports().in_use(), 1u);  // the refused one's vdport went back
}

TEST(DoubleNat, RefusesAServicePortInsideTheVdportRange) {
  DoubleNat::Options o;
  o.vdport_first = 1000;
  o.vdport_last = 2000;
  o.connections.capacity = 16;
  auto nat = *DoubleNat::Create(o);
  ServiceConfig s;
  s.vip = {kVip, 1500};
  EXPECT_FALSE(nat->AddService(s).ok());
  s.vip = {kVip, 80};
  s.scheduler = "nope";
  EXPECT_FALSE(nat->AddService(s).ok());
}

}  // namespace
}  // namespace dmpd::vs
