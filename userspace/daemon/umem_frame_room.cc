// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/umem_frame_room.h"

#include <algorithm>

namespace dmpd {

uint32_t FrameCapacity(const MbufOverheads& o, uint32_t data_room) {
  const uint32_t headrooms = o.headroom + kXdpPacketHeadroom;
  return data_room > headrooms ? data_room - headrooms : 0;
}

MbufSize SizeMbufsForMtu(uint32_t mtu, const MbufOverheads& o) {
  const uint32_t max_data_room = (kMaxUmemChunk - o.before_data_room) / 64 * 64;
  const uint32_t max_capacity = FrameCapacity(o, max_data_room);
  const uint64_t wanted = uint64_t{mtu} + kFrameOverMtu + o.headroom + kXdpPacketHeadroom;
  const uint64_t rounded = (wanted + 63) / 64 * 64;
  MbufSize size;
  size.fits_mtu = rounded <= max_data_room;
  size.data_room = std::max(o.default_data_room,
                            size.fits_mtu ? static_cast<uint32_t>(rounded) : max_data_room);
  size.frame_capacity = FrameCapacity(o, size.data_room);
  size.max_mtu = max_capacity > kFrameOverMtu ? max_capacity - kFrameOverMtu : 0;
  return size;
}

uint32_t DpdkMemoryMbForPorts(size_t ports, uint32_t mbufs_per_port, uint32_t data_room,
                              const MbufOverheads& o) {
  const uint64_t pools = uint64_t{ports} * mbufs_per_port * (o.before_data_room + data_room);
  const uint64_t mb = kDpdkMemoryBaseMb + (pools + (1u << 20) - 1) / (1u << 20);
  return static_cast<uint32_t>(std::max<uint64_t>(kDpdkMemoryMinMb, mb));
}

}  // namespace dmpd
