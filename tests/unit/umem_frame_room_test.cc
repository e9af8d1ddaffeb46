// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/umem_frame_room.h"

#include <gtest/gtest.h>

namespace dmpd {
namespace {

// DPDK 22.11 on x86-64: a 64 B object header and a 128 B rte_mbuf before the data room,
// 128 B of mbuf headroom, RTE_MBUF_DEFAULT_BUF_SIZE 2176.
constexpr MbufOverheads kDpdk{.before_data_room = 192, .headroom = 128, .default_data_room = 2176};

TEST(UmemFrameRoom, TheDefaultMbufTakesAFrameOf1792Bytes) {
  // 2176 less 128 of mbuf headroom and 256 of XDP headroom: the kernel's
  // xsk_pool_get_rx_frame_size for the PMD's chunk (2368) and frame_headroom (320).
  EXPECT_EQ(FrameCapacity(kDpdk, 2176), 1792u);
}

TEST(UmemFrameRoom, StandardMtuKeepsTheDefaultMbuf) {
  MbufSize s = SizeMbufsForMtu(1500, kDpdk);
  EXPECT_TRUE(s.fits_mtu);
  EXPECT_EQ(s.data_room, 2176u);
  EXPECT_GE(s.frame_capacity, 1500u + kFrameOverMtu);
}

TEST(UmemFrameRoom, ALargerMtuGrowsTheMbufInStepsOf64) {
  MbufSize s = SizeMbufsForMtu(3400, kDpdk);
  EXPECT_TRUE(s.fits_mtu);
  EXPECT_EQ(s.data_room % 64, 0u);
  EXPECT_GE(s.frame_capacity, 3400u + kFrameOverMtu);
  EXPECT_LT(s.frame_capacity, 3400u + kFrameOverMtu + 64);
  EXPECT_LE(kDpdk.before_data_room + s.data_room, kMaxUmemChunk);
}

TEST(UmemFrameRoom, TheLargestMtuThatFitsAndTheFirstThatDoesNot) {
  const uint32_t max = SizeMbufsForMtu(1500, kDpdk).max_mtu;
  EXPECT_EQ(max, 3904u - 128 - 256 - kFrameOverMtu);  // a 4096 B chunk: 192 + 3904
  MbufSize at = SizeMbufsForMtu(max, kDpdk);
  EXPECT_TRUE(at.fits_mtu);
  EXPECT_EQ(at.frame_capacity, max + kFrameOverMtu);
  MbufSize over = SizeMbufsForMtu(max + 1, kDpdk);
  EXPECT_FALSE(over.fits_mtu);
  EXPECT_EQ(over.data_room, at.data_room) << "the largest chunk is still used";
}

TEST(UmemFrameRoom, JumboMtuGetsTheLargestChunkAndIsFlagged) {
  MbufSize s = SizeMbufsForMtu(9000, kDpdk);
  EXPECT_FALSE(s.fits_mtu);
  EXPECT_LE(kDpdk.before_data_room + s.data_room, kMaxUmemChunk);
  EXPECT_GE(s.frame_capacity, 1514u) << "DMPD's own frames still fit";
}

TEST(DpdkMemory, TwoPortsAtTheDefaultMtuKeepTheOldDefault) {
  EXPECT_EQ(DpdkMemoryMbForPorts(2, 8192, 2176, kDpdk), kDpdkMemoryMinMb);  // 2 x 18.5 MiB
}

TEST(DpdkMemory, GrowsWithThePortsAndTheirMbufs) {
  // 4 pools of 8192 x 4096 B (MTU 3500): 128 MiB, and 64 for the rest.
  EXPECT_EQ(DpdkMemoryMbForPorts(4, 8192, SizeMbufsForMtu(3500, kDpdk).data_room, kDpdk),
            64u + 128u);
  // 8 pools of 8192 x 2368 B: 148 MiB.
  EXPECT_EQ(DpdkMemoryMbForPorts(8, 8192, 2176, kDpdk), 64u + 148u);
}

}  // namespace
}  // namespace dmpd
