// SPDX-License-Identifier: BSD-3-Clause
// How large a port's mbufs must be for the frames its MTU allows. DPDK 22.11's af_xdp PMD
// makes every object of the port's mbuf pool one UMEM chunk, and the kernel writes a
// received frame into it after the mempool object header, the rte_mbuf, the mbuf's
// headroom and XDP's own 256 B (XDP_PACKET_HEADROOM); so what is left for the frame is the
// mbuf's data room less those two headrooms. A longer frame is dropped by the kernel and
// counted only in the socket's rx_dropped. Without hugepages the kernel takes chunks of
// at most a page (4 KiB), so an MTU above about 3.5 KB cannot fit: DMPD's own frames (at
// most 1514 B) still do, the virtual service's longer packets do not, and the daemon says
// so at start. Pure logic.
#ifndef DMPD_USERSPACE_DAEMON_UMEM_FRAME_ROOM_H_
#define DMPD_USERSPACE_DAEMON_UMEM_FRAME_ROOM_H_

#include <cstddef>
#include <cstdint>

namespace dmpd {

inline constexpr uint32_t kXdpPacketHeadroom = 256;
// The largest UMEM chunk (mempool object) the kernel registers without hugepages: a page.
inline constexpr uint32_t kMaxUmemChunk = 4096;
// An Ethernet header and one 802.1Q tag on top of the MTU.
inline constexpr uint32_t kFrameOverMtu = 18;

// The sizes DPDK fixes around the data room (rte_mempool_objhdr and rte_mbuf with its
// private area; RTE_PKTMBUF_HEADROOM), passed in so this stays free of DPDK.
struct MbufOverheads {
  uint32_t before_data_room = 0;  // object header + rte_mbuf + private area
  uint32_t headroom = 0;          // RTE_PKTMBUF_HEADROOM
  uint32_t default_data_room = 0;  // RTE_MBUF_DEFAULT_BUF_SIZE: never go below it
};

struct MbufSize {
  uint32_t data_room = 0;       // rte_pktmbuf data room, headroom included
  uint32_t frame_capacity = 0;  // the longest frame the kernel can write into one
  bool fits_mtu = false;        // frame_capacity >= mtu + kFrameOverMtu
  uint32_t max_mtu = 0;         // the largest MTU the largest chunk fits
};

// The longest frame a data room holds when its mbuf is a UMEM chunk.
uint32_t FrameCapacity(const MbufOverheads& o, uint32_t data_room);

// The smallest data room (at least the default, a multiple of 64) holding a frame of
// `mtu` + kFrameOverMtu; when the chunk would outgrow kMaxUmemChunk, the largest data room
// that fits one, with fits_mtu false.
MbufSize SizeMbufsForMtu(uint32_t mtu, const MbufOverheads& o);

// What dmpdd's DPDK heap (--no-huge, so fixed at start) needs for `ports` pools of
// `mbufs_per_port` mbufs of `data_room`, and kDpdkMemoryBaseMb for everything else (rings,
// the PMD's own); at least kDpdkMemoryMinMb, what two ports always had.
inline constexpr uint32_t kDpdkMemoryBaseMb = 64;
inline constexpr uint32_t kDpdkMemoryMinMb = 128;
uint32_t DpdkMemoryMbForPorts(size_t ports, uint32_t mbufs_per_port, uint32_t data_room,
                              const MbufOverheads& o);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_UMEM_FRAME_ROOM_H_
