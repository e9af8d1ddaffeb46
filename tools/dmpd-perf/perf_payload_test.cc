// SPDX-License-Identifier: BSD-3-Clause
#include "tools/dmpd-perf/perf_payload.h"

#include <gtest/gtest.h>

#include <vector>

namespace dmpd::perf {
namespace {

TEST(PerfPayload, EverySizeRoundTrips) {
  for (size_t size = 1; size <= 300; ++size) {
    for (uint64_t seq : {0ull, 1ull, 255ull, 256ull, 123456789ull, 0xfedcba9876543210ull}) {
      std::vector<std::byte> b(size);
      EncodePayload(seq, b);
      const DecodedPayload d = DecodePayload(b);
      EXPECT_TRUE(d.intact) << size;
      const uint64_t mask = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
      EXPECT_EQ(d.sequence, seq & mask) << size;
    }
  }
}

// Flips every bit of a message of `size` bytes in turn; how many went unnoticed.
size_t MissedFlips(size_t size, uint64_t seq, size_t first_bit, size_t end_bit,
                   size_t step = 1) {
  std::vector<std::byte> b(size);
  EncodePayload(seq, b);
  EXPECT_TRUE(DecodePayload(b).intact);
  size_t missed = 0;
  for (size_t bit = first_bit; bit < end_bit; bit += step) {
    b[bit / 8] ^= std::byte(1u << (bit % 8));
    missed += DecodePayload(b).intact;
    b[bit / 8] ^= std::byte(1u << (bit % 8));
  }
  return missed;
}

// From 16 bytes every changed bit is caught, by construction: the check word and the filler
// are compared with what the sequence makes, and Mix is a bijection, so a changed sequence
// changes the check word.
TEST(PerfPayload, EveryFlippedBitIsCaughtFromSixteenBytes) {
  for (size_t size : {16u, 17u, 23u, 64u, 1000u, 1024u, 65536u}) {
    for (uint64_t seq : {0ull, 42ull, 0xfedcba9876543210ull}) {
      const size_t step = size > 2000 ? 97 : 1;  // the largest: a sample of its bits
      EXPECT_EQ(MissedFlips(size, seq, 0, size * 8, step), 0u) << size << " seq " << seq;
    }
  }
}

// 9..15 bytes keep 1..7 bytes of the check word: a flip in them is always caught, one in the
// sequence unless those low bytes collide (1 in 2^(8 x (size - 8))).
TEST(PerfPayload, ShortMessagesCatchFlipsAsFarAsTheirCheckBytesGo) {
  for (size_t size = 9; size < 16; ++size) {
    for (uint64_t seq : {0ull, 42ull, 0xfedcba9876543210ull}) {
      EXPECT_EQ(MissedFlips(size, seq, 64, size * 8), 0u) << size;
      EXPECT_LE(MissedFlips(size, seq, 0, 64), size == 9 ? 2u : 0u) << size << " seq " << seq;
    }
  }
}

TEST(PerfPayload, TheLayoutIsLittleEndianSequenceThenItsCheckWord) {
  std::vector<std::byte> b(32);
  EncodePayload(0x0102030405060708ull, b);
  EXPECT_EQ(b[0], std::byte{0x08});
  EXPECT_EQ(b[7], std::byte{0x01});
  const uint64_t check = CheckWord(0x0102030405060708ull, 32);
  EXPECT_EQ(LoadLe(b.data() + 8), check);
  EXPECT_EQ(LoadLe(b.data() + 16), check + kGolden);
  EXPECT_EQ(LoadLe(b.data() + 24), check + 2 * kGolden);
}

// A message cut short (a lost last segment, a wrong record length) or grown is not the
// message of that size: its check word and filler are made with its size.
TEST(PerfPayload, AMessageCutShortOrGrownFails) {
  for (size_t size : {9u, 16u, 17u, 100u, 1024u, 1500u, 65536u}) {
    std::vector<std::byte> b(size + 64);
    EncodePayload(7, std::span(b).first(size));
    ASSERT_TRUE(DecodePayload(std::span(b).first(size)).intact);
    for (size_t cut : {1u, 7u, 8u, 64u}) {
      if (size > cut + 8) {  // 8 bytes and fewer carry no check
        EXPECT_FALSE(DecodePayload(std::span(b).first(size - cut)).intact) << size << " - " << cut;
      }
      EXPECT_FALSE(DecodePayload(std::span(b).first(size + cut)).intact) << size << " + " << cut;
    }
  }
}

TEST(PerfPayload, AnotherMessagesBodyFails) {
  std::vector<std::byte> a(100), b(100);
  EncodePayload(7, a);
  EncodePayload(8, b);
  std::copy(b.begin() + 16, b.end(), a.begin() + 16);
  EXPECT_FALSE(DecodePayload(a).intact);
}

TEST(PerfPayload, UnwrapPicksTheNearest) {
  EXPECT_EQ(UnwrapSequence(0x05, 8, 0x1fe), 0x205u);
  EXPECT_EQ(UnwrapSequence(0xfe, 8, 0x203), 0x1feu);
  EXPECT_EQ(UnwrapSequence(0x10, 8, 0x10), 0x10u);
  EXPECT_EQ(UnwrapSequence(0xff, 8, 0), 0xffu);  // never below zero
  EXPECT_EQ(UnwrapSequence(12345, 64, 0), 12345u);
}

}  // namespace
}  // namespace dmpd::perf
