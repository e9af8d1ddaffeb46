// SPDX-License-Identifier: BSD-3-Clause
// Flow control's two halves and the CREDIT payload they exchange: a credit settles a path's
// copies up to the frame it names (sequences wrapping included), and only that path's;
// copies are written off by age or with their port; the receiver's ledger names each path's
// last frame, repeats paths heard from lately, forgets quiet ones, and says when a credit is
// due.
#include "userspace/pipe/flow_control.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace dmpd::pipe {
namespace {

constexpr MacAddress kPortA{2, 0, 0, 0, 2, 0};
constexpr MacAddress kPortB{2, 0, 0, 0, 2, 1};
constexpr FlowVolume kOneFrame{1, 100};

CreditEntry Entry(uint16_t sender_port, const MacAddress& mac, uint32_t sequence) {
  return CreditEntry{.sender_port = sender_port, .receiver_mac = mac, .sequence = sequence};
}

TEST(CreditEntries, RoundTripWithTheDocumentedLayout) {
  const std::vector<CreditEntry> in = {Entry(1, kPortA, 0x01020304), Entry(0x0A0B, kPortB, 7)};
  std::array<uint8_t, 64> buf{};
  const absl::StatusOr<size_t> len = WriteCreditEntries(in, buf);
  ASSERT_TRUE(len.ok());
  ASSERT_EQ(*len, 24u);
  // struct dmpd_credit_entry: sender_port (be16), receiver_mac, sequence (be32).
  const std::array<uint8_t, 12> first = {0, 1, 2, 0, 0, 0, 2, 0, 1, 2, 3, 4};
  EXPECT_TRUE(std::equal(first.begin(), first.end(), buf.begin()));
  std::array<CreditEntry, kMaxCreditEntries> out;
  const absl::StatusOr<size_t> n = ReadCreditEntries(std::span(buf.data(), *len), out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::vector<CreditEntry>(out.begin(), out.begin() + *n), in);
}

TEST(CreditEntries, HostilePayloadsAreRefused) {
  std::array<CreditEntry, kMaxCreditEntries> out;
  std::vector<uint8_t> bytes;
  EXPECT_FALSE(ReadCreditEntries(bytes, out).ok()) << "no entry";
  bytes.assign(13, 0);
  EXPECT_FALSE(ReadCreditEntries(bytes, out).ok()) << "not whole entries";
  bytes.assign(16, 0);  // the old two-counter credit
  EXPECT_FALSE(ReadCreditEntries(bytes, out).ok());
  bytes.assign((kMaxCreditEntries + 1) * kCreditEntryLen, 0);
  EXPECT_FALSE(ReadCreditEntries(bytes, out).ok()) << "too many";
  bytes.assign(kMaxCreditEntries * kCreditEntryLen, 0);
  EXPECT_TRUE(ReadCreditEntries(bytes, out).ok());
  EXPECT_FALSE(ReadCreditEntries(bytes, std::span(out).first(3)).ok()) << "no room";
  std::array<uint8_t, 8> small{};
  const std::vector<CreditEntry> one = {Entry(0, kPortA, 1)};
  EXPECT_FALSE(WriteCreditEntries(one, small).ok());
  EXPECT_FALSE(WriteCreditEntries({}, small).ok());
}

TEST(SendWindow, ACreditSettlesItsPathUpToTheFrameItNames) {
  SendWindow w(16, /*slots=*/4);
  for (uint32_t seq = 10; seq < 14; ++seq) w.OnSent(0, 0, kPortA, seq, kOneFrame, 1000 + seq);
  w.OnSent(0, 1, kPortA, 10, kOneFrame, 2000);  // another path: our port 1
  w.OnSent(0, 0, kPortB, 11, kOneFrame, 2000);  // and another: the node's other port
  EXPECT_EQ(w.in_flight().frames, 6u);
  EXPECT_EQ(w.in_flight().bytes, 600u);
  // Frame 11 arrived last: 10 arrived or was lost before it; 12 and 13 are in flight.
  w.Settle(Entry(0, kPortA, 11));
  EXPECT_EQ(w.in_flight().frames, 4u);
  EXPECT_EQ(w.settled_sent_ns(), 1011u);
  w.Settle(Entry(0, kPortA, 11));  // repeated: nothing more
  w.Settle(Entry(0, kPortA, 9));   // late: nothing more
  w.Settle(Entry(7, kPortA, 99));  // a path we never used
  EXPECT_EQ(w.in_flight().frames, 4u);
  w.Settle(Entry(0, kPortA, 13));
  w.Settle(Entry(1, kPortA, 10));
  w.Settle(Entry(0, kPortB, 11));
  EXPECT_EQ(w.in_flight().frames, 0u);
  EXPECT_EQ(w.in_flight().bytes, 0u);
}

TEST(SendWindow, SequencesWrap) {
  SendWindow w(8, /*slots=*/4);
  w.OnSent(0, 0, kPortA, 0xFFFFFFFE, kOneFrame, 1);
  w.OnSent(0, 0, kPortA, 0xFFFFFFFF, kOneFrame, 2);
  w.OnSent(0, 0, kPortA, 0, kOneFrame, 3);
  w.OnSent(0, 0, kPortA, 1, kOneFrame, 4);
  w.Settle(Entry(0, kPortA, 0));
  EXPECT_EQ(w.in_flight().frames, 1u);
}

TEST(SendWindow, UnsettledCopiesAreWrittenOffByAgeOrWithTheirPort) {
  SendWindow w(8, /*slots=*/4);
  w.OnSent(0, 0, kPortA, 1, {3, 300}, 100);
  w.OnSent(0, 0, kPortA, 4, kOneFrame, 200);
  w.OnSent(0, 1, kPortB, 1, kOneFrame, 150);
  EXPECT_EQ(w.WriteOffSentBefore(100), 0u);
  EXPECT_EQ(w.WriteOffSentBefore(160), 4u);  // port 0's first copy, port 1's
  EXPECT_EQ(w.in_flight().frames, 1u);
  w.OnSent(0, 1, kPortB, 2, kOneFrame, 300);
  EXPECT_EQ(w.WriteOffPort(1), 1u);
  EXPECT_EQ(w.in_flight().frames, 1u);
  EXPECT_EQ(w.in_flight().bytes, 100u);
  // The pool is reused: many more copies than its size come and go.
  for (uint32_t i = 0; i < 100; ++i) {
    w.OnSent(0, 0, kPortA, 10 + i, kOneFrame, 400 + i);
    w.Settle(Entry(0, kPortA, 10 + i));
  }
  EXPECT_EQ(w.in_flight().frames, 0u);
}

TEST(SendWindow, APathWithNothingInFlightIsTakenOverWhenTheTableIsFull) {
  SendWindow w(kMaxCreditEntries + 8, /*slots=*/4);
  for (uint16_t port = 0; port < kMaxCreditEntries; ++port) {
    w.OnSent(0, port, kPortA, 5, kOneFrame, 10);
  }
  // A path beyond the table, with every named one holding copies: not counted (credits
  // could not name it), rather than held for ever.
  w.OnSent(0, 500, kPortB, 9, kOneFrame, 11);
  EXPECT_EQ(w.in_flight().frames, kMaxCreditEntries);
  // Path 0 settled: the new path takes its place, and credits settle it.
  w.Settle(Entry(0, kPortA, 5));
  w.OnSent(0, 500, kPortB, 9, kOneFrame, 12);
  EXPECT_EQ(w.in_flight().frames, kMaxCreditEntries);
  w.Settle(Entry(500, kPortB, 9));
  EXPECT_EQ(w.in_flight().frames, kMaxCreditEntries - 1);
  EXPECT_EQ(w.WriteOffSentBefore(11), kMaxCreditEntries - 1);
}

// Shares: alone a pipe may fill the window; with others in flight or waiting, each may
// hold its share once the window is more than half full; one with nothing in flight may
// always send.
TEST(SendWindow, PipesShareTheWindowWhileSeveralSend) {
  SendWindow w(64, /*slots=*/4);
  for (uint32_t i = 0; i < 12; ++i) w.OnSent(0, 0, kPortA, i, kOneFrame, 10);
  EXPECT_TRUE(w.WithinShare(0, 4, 16)) << "alone: the whole window";
  EXPECT_TRUE(w.WithinShare(1, 50, 16)) << "nothing in flight: always";
  w.Waiting(1);  // slot 1 found no room: two sharers now
  EXPECT_FALSE(w.WithinShare(0, 1, 16)) << "12 in flight, its share is 8";
  w.OnSent(1, 1, kPortA, 1, kOneFrame, 11);
  EXPECT_TRUE(w.WithinShare(1, 7, 16));
  EXPECT_FALSE(w.WithinShare(1, 8, 16));
  w.Settle(Entry(0, kPortA, 11));  // slot 0's all settled: slot 1 alone again
  EXPECT_TRUE(w.WithinShare(1, 15, 16));
  w.Waiting(2);
  w.Waiting(2);  // idempotent
  EXPECT_FALSE(w.WithinShare(1, 8, 16));
  w.DoneWaiting(2);  // its message was dropped: it waits no more
  EXPECT_TRUE(w.WithinShare(1, 15, 16));
  w.DoneWaiting(3);  // never waited: nothing changes
  EXPECT_TRUE(w.WithinShare(1, 15, 16));
  // Below half the window shares do not bind: 3 sharers (a share of 5), 1 + 6 in flight.
  w.Waiting(2);
  w.Waiting(3);
  EXPECT_TRUE(w.WithinShare(1, 6, 16));
  EXPECT_FALSE(w.WithinShare(1, 8, 16));
}

TEST(CreditLedger, NamesEachPathsLastFrameAndRepeatsOnlyRecentPaths) {
  CreditLedger l;
  std::array<CreditEntry, kMaxCreditEntries> out;
  EXPECT_FALSE(l.Due(5'000'000, 128, 1'000'000)) << "nothing came";
  l.OnFrame(0, 0, kPortA, 41, 100);
  l.OnFrame(0, 0, kPortA, 42, 200);
  l.OnFrame(1, 1, kPortB, 7, 300);
  EXPECT_FALSE(l.Due(300, 128, 1'000'000));
  EXPECT_TRUE(l.Due(300, 3, 1'000'000)) << "every 3 frames";
  EXPECT_TRUE(l.Due(1'000'000, 128, 1'000'000)) << "or after the interval";
  ASSERT_EQ(l.Entries(400, 20'000'000, out), 2u);
  EXPECT_EQ(out[0], Entry(0, kPortA, 42));
  EXPECT_EQ(out[1], Entry(1, kPortB, 7));
  l.Credited(400);
  EXPECT_FALSE(l.Due(2'000'000, 1, 1'000'000)) << "nothing came since";
  // A sender that restarted numbers from 0: the last frame counts, not the highest.
  l.OnFrame(0, 0, kPortA, 0, 25'000'000);
  ASSERT_EQ(l.Entries(25'000'000, 20'000'000, out), 1u) << "port B is quiet for 20 ms";
  EXPECT_EQ(out[0], Entry(0, kPortA, 0));
}

TEST(CreditLedger, AFullTableForgetsThePathHeardFromLeast) {
  CreditLedger l;
  for (uint16_t p = 0; p < kMaxCreditEntries; ++p) l.OnFrame(p, 0, kPortA, p, 100 + p);
  l.OnFrame(0, 0, kPortA, 500, 1000);  // path 0 heard from again
  l.OnFrame(999, 1, kPortB, 9, 1001);  // a new path: path 1 goes
  std::array<CreditEntry, kMaxCreditEntries> out;
  ASSERT_EQ(l.Entries(1001, 20'000'000, out), kMaxCreditEntries);
  bool has_new = false, has_1 = false;
  for (const CreditEntry& e : out) {
    has_new |= e == Entry(999, kPortB, 9);
    has_1 |= e.sender_port == 1;
  }
  EXPECT_TRUE(has_new);
  EXPECT_FALSE(has_1);
}

}  // namespace
}  // namespace dmpd::pipe
