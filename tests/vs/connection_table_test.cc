// SPDX-License-Identifier: BSD-3-Clause
// The two-bucket connection table: one connection found from both directions, bounded,
// expiring oldest first per state, a SYN flood that cannot push out what is established.
#include "userspace/vs/connection_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "userspace/vs/ipv4_l4_packet.h"
#include "userspace/vs/tcp_state.h"

namespace dmpd::vs {
namespace {

constexpr uint32_t kVip = 0x0a000064;    // 10.0.0.100
constexpr uint64_t kSecond = 1'000'000'000;

FlowKey In(uint32_t client, uint16_t cport) { return {client, kVip, cport, 80, kProtoTcp}; }
FlowKey Out(uint32_t backend, uint16_t vdport) { return {backend, kVip, 8080, vdport, kProtoTcp}; }

ConnectionTable Table(uint32_t capacity) {
  ConnectionTable::Options o;
  o.capacity = capacity;
  return *ConnectionTable::Create(o);
}

TEST(ConnectionTable, OneConnectionInTwoBuckets) {
  ConnectionTable t = Table(16);
  const uint32_t id = t.Insert(In(0x0b000001, 5555), Out(0x0c000001, 40000), 3, 1,
                               ConnState::kSynRecv, 0);
  ASSERT_NE(id, ConnectionTable::kNone);
  EXPECT_EQ(t.FindIn(In(0x0b000001, 5555)), id);
  EXPECT_EQ(t.FindOut(Out(0x0c000001, 40000)), id);
  // The directions are not mixed up: the IN key is not in the OUT bucket.
  EXPECT_EQ(t.FindOut(In(0x0b000001, 5555)), ConnectionTable::kNone);
  EXPECT_EQ(t.FindIn(Out(0x0c000001, 40000)), ConnectionTable::kNone);
  EXPECT_EQ(t.at(id).service, 3u);
  EXPECT_EQ(t.at(id).backend, 1u);
  // The same vdport toward another backend is another connection (seed 004 §4.2).
  EXPECT_NE(t.Insert(In(0x0b000001, 5556), Out(0x0c000002, 40000), 3, 2, ConnState::kSynRecv, 0),
            ConnectionTable::kNone);
  EXPECT_EQ(t.size(), 2u);
}

// A connection whose client key went to a new connection: found by its OUT key only, the
// client key free for the new one, and gone on its own timeout.
TEST(ConnectionTable, ARetiredConnectionKeepsItsOutKeyUntilItExpires) {
  ConnectionTable t = Table(16);
  const uint32_t old = t.Insert(In(0x0b000001, 5555), Out(0x0c000001, 40000), 0, 0,
                                ConnState::kFinWait, 0);
  ASSERT_NE(old, ConnectionTable::kNone);
  t.RetireClientKey(old);
  EXPECT_TRUE(t.retired(old));
  EXPECT_EQ(t.FindIn(In(0x0b000001, 5555)), ConnectionTable::kNone);
  EXPECT_EQ(t.FindOut(Out(0x0c000001, 40000)), old);
  const uint32_t fresh = t.Insert(In(0x0b000001, 5555), Out(0x0c000002, 40000), 0, 1,
                                  ConnState::kSynRecv, 1);
  ASSERT_NE(fresh, ConnectionTable::kNone);
  EXPECT_FALSE(t.retired(fresh));
  EXPECT_EQ(t.FindIn(In(0x0b000001, 5555)), fresh);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Expire(121 * kSecond, nullptr), 2u);  // fin_wait 120 s, syn_recv 60 s
  EXPECT_EQ(t.FindOut(Out(0x0c000001, 40000)), ConnectionTable::kNone);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnectionTable, DuplicatesAndAFullTableAreRefusedAndCounted) {
  ConnectionTable t = Table(2);
  ASSERT_NE(t.Insert(In(1, 1), Out(9, 1000), 0, 0, ConnState::kSynRecv, 0), ConnectionTable::kNone);
  EXPECT_EQ(t.Insert(In(1, 1), Out(9, 1001), 0, 0, ConnState::kSynRecv, 0), ConnectionTable::kNone);
  EXPECT_EQ(t.Insert(In(1, 2), Out(9, 1000), 0, 0, ConnState::kSynRecv, 0), ConnectionTable::kNone);
  EXPECT_EQ(t.refused_duplicate(), 2u);
  ASSERT_NE(t.Insert(In(1, 3), Out(9, 1003), 0, 0, ConnState::kSynRecv, 0), ConnectionTable::kNone);
  EXPECT_EQ(t.Insert(In(1, 4), Out(9, 1004), 0, 0, ConnState::kSynRecv, 0), ConnectionTable::kNone);
  EXPECT_EQ(t.refused_full(), 1u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(ConnectionTable, ExpiresEachStateOnItsTimeoutOldestFirst) {
  ConnectionTable t = Table(8);
  const uint32_t a = t.Insert(In(1, 1), Out(9, 1), 0, 0, ConnState::kSynRecv, 0);
  const uint32_t b = t.Insert(In(1, 2), Out(9, 2), 0, 0, ConnState::kSynRecv, 10 * kSecond);
  const uint32_t c = t.Insert(In(1, 3), Out(9, 3), 0, 0, ConnState::kUdp, 0);
  t.Touch(a, ConnState::kEstablished, 20 * kSecond);  // established: 900 s from now
  std::vector<uint16_t> gone;
  auto note = [&](const Connection& x) { gone.push_back(x.in.src_port); };
  EXPECT_EQ(t.Expire(69 * kSecond, note), 0u);
  EXPECT_EQ(t.Expire(70 * kSecond, note), 1u);  // b: SYN_RECV 60 s after 10 s
  EXPECT_EQ(gone, (std::vector<uint16_t>{2}));
  EXPECT_EQ(t.FindIn(In(1, 2)), ConnectionTable::kNone);
  EXPECT_EQ(t.FindOut(Out(9, 2)), ConnectionTable::kNone);
  EXPECT_EQ(t.Expire(300 * kSecond, note), 1u);  // c: UDP 300 s
  EXPECT_EQ(t.Expire(919 * kSecond, note), 0u);
  EXPECT_EQ(t.Expire(920 * kSecond, note), 1u);  // a: established at 20 s + 900 s
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.expired(), 3u);
  (void)b;
  (void)c;
}

TEST(ConnectionTable, TouchRestartsTheTimeoutAndExpireHonoursItsLimit) {
  ConnectionTable t = Table(8);
  const uint32_t a = t.Insert(In(1, 1), Out(9, 1), 0, 0, ConnState::kUdp, 0);
  t.Insert(In(1, 2), Out(9, 2), 0, 0, ConnState::kUdp, 1);
  t.Insert(In(1, 3), Out(9, 3), 0, 0, ConnState::kUdp, 2);
  t.Touch(a, ConnState::kUdp, 100 * kSecond);
  EXPECT_EQ(t.Expire(350 * kSecond, nullptr, 1), 1u);
  EXPECT_EQ(t.Expire(350 * kSecond, nullptr), 1u);
  EXPECT_NE(t.FindIn(In(1, 1)), ConnectionTable::kNone);  // touched at 100 s: due at 400 s
  EXPECT_EQ(t.Expire(400 * kSecond, nullptr), 1u);
}

TEST(ConnectionTable, SynFloodFillsTheTableButNeverPushesOutEstablished) {
  ConnectionTable t = Table(1000);
  for (uint16_t i = 0; i < 100; ++i) {
    const uint32_t id = t.Insert(In(7, i), Out(9, 1000 + i), 0, 0, ConnState::kSynRecv, 0);
    t.Touch(id, ConnState::kEstablished, kSecond);
  }
  uint64_t refused = 0;
  for (uint32_t i = 0; i < 100000; ++i) {  // spoofed sources, never completing
    if (t.Insert(In(0x01000000 + i, 1), Out(9, static_cast<uint16_t>(2000 + i % 60000)), 0, 0,
                 ConnState::kSynRecv, 2 * kSecond) == ConnectionTable::kNone) {
      ++refused;
    }
  }
  EXPECT_EQ(t.size(), 1000u);
  EXPECT_GT(refused, 90000u);
  EXPECT_EQ(t.count_in(ConnState::kEstablished), 100u);
  for (uint16_t i = 0; i < 100; ++i) ASSERT_NE(t.FindIn(In(7, i)), ConnectionTable::kNone);
  // The flood's entries time out (60 s) and room comes back; the established stay.
  EXPECT_EQ(t.Expire(62 * kSecond, nullptr), 900u);
  EXPECT_EQ(t.count_in(ConnState::kEstablished), 100u);
  EXPECT_NE(t.Insert(In(8, 1), Out(9, 65000), 0, 0, ConnState::kSynRecv, 62 * kSecond),
            ConnectionTable::kNone);
}

TEST(ConnectionTable, RandomOperationsMatchAModel) {
  ConnectionTable t = Table(512);
  std::map<std::pair<uint32_t, uint16_t>, uint16_t> model;  // IN (client, cport) -> vdport
  std::mt19937 rng(3);
  uint64_t now = 0;
  for (int i = 0; i < 100000; ++i) {
    now += rng() % 1000;
    const uint32_t client = rng() % 64;
    const auto cport = static_cast<uint16_t>(rng() % 32);
    const auto key = std::make_pair(client, cport);
    const uint32_t found = t.FindIn(In(client, cport));
    ASSERT_EQ(found != ConnectionTable::kNone, model.count(key) == 1);
    if (found == ConnectionTable::kNone) {
      const auto vdport = static_cast<uint16_t>(client * 32 + cport);  // unique per key
      const uint32_t id = t.Insert(In(client, cport), Out(9, vdport), 0, 0, ConnState::kUdp, now);
      if (model.size() < 512) {
        ASSERT_NE(id, ConnectionTable::kNone);
        model[key] = vdport;
      } else {
        ASSERT_EQ(id, ConnectionTable::kNone);
      }
    } else if (rng() % 2) {
      ASSERT_EQ(t.FindOut(Out(9, model[key])), found);
      t.Remove(found);
      model.erase(key);
    }
    ASSERT_EQ(t.size(), model.size());
  }
}

TEST(TcpState, TransitionsForTimeouts) {
  EXPECT_TRUE(OpensTcpConnection(kTcpSyn));
  EXPECT_FALSE(OpensTcpConnection(kTcpSyn | kTcpAck));
  EXPECT_FALSE(OpensTcpConnection(kTcpAck));
  EXPECT_FALSE(OpensTcpConnection(kTcpRst));
  EXPECT_FALSE(OpensTcpConnection(kTcpFin | kTcpAck));
  EXPECT_FALSE(OpensTcpConnection(kTcpSyn | kTcpFin));
  using S = ConnState;
  EXPECT_EQ(NextTcpState(S::kSynRecv, false, kTcpSyn | kTcpAck), S::kSynRecv);  // the backend's SYN/ACK
  EXPECT_EQ(NextTcpState(S::kSynRecv, true, kTcpAck), S::kEstablished);
  EXPECT_EQ(NextTcpState(S::kSynRecv, false, kTcpAck), S::kSynRecv);  // only the client establishes
  EXPECT_EQ(NextTcpState(S::kEstablished, false, kTcpFin | kTcpAck), S::kFinWait);
  EXPECT_EQ(NextTcpState(S::kFinWait, true, kTcpAck), S::kFinWait);
  EXPECT_EQ(NextTcpState(S::kEstablished, true, kTcpRst), S::kClose);
  EXPECT_EQ(NextTcpState(S::kClose, true, kTcpAck), S::kClose);
  EXPECT_EQ(NextTcpState(S::kClose, true, kTcpFin), S::kClose);
  // Both ends' FINs: still fin_wait (the first closer's TIME_WAIT outlives close_s).
  EXPECT_EQ(NextTcpState(S::kFinWait, true, kTcpFin | kTcpAck), S::kFinWait);
}

}  // namespace
}  // namespace dmpd::vs
