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

TEST(PerfPayload, AFlippedBitIsCaughtFromNineBytes) {
  for (size_t size : {9u, 15u, 16u, 17u, 64u, 1000u, 65536u}) {
    std::vector<std::byte> b(size);
    EncodePayload(42, b);
    for (size_t bit = 0; bit < size * 8; bit += (size > 100 ? 97 : 1)) {
      if (bit / 8 >= 8 && bit / 8 < 16) continue;  // the checksum itself: caught too, below
      b[bit / 8] ^= std::byte(1u << (bit % 8));
      EXPECT_FALSE(DecodePayload(b).intact) << size << " bit " << bit;
      b[bit / 8] ^= std::byte(1u << (bit % 8));
    }
    b[8] ^= std::byte{1};
    EXPECT_FALSE(DecodePayload(b).intact);
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
