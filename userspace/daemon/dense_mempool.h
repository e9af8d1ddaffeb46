// SPDX-License-Identifier: BSD-3-Clause
// An mbuf pool laid out as one dense region. DPDK 22.11's af_xdp PMD registers the pool's
// memory as the UMEM and assumes it is contiguous; rte_pktmbuf_pool_create under
// --no-huge puts one mbuf per 4 KiB page and ~42 % of mbufs then fall outside the UMEM,
// silently dropping what lands in them (PLATFORM.md).
#ifndef DMPD_USERSPACE_DAEMON_DENSE_MEMPOOL_H_
#define DMPD_USERSPACE_DAEMON_DENSE_MEMPOOL_H_

#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "userspace/daemon/umem_frame_room.h"

namespace dmpd {

// What DPDK puts around a data room in these pools: each object's header padded to a
// cache line, then the rte_mbuf (no private area); RTE_PKTMBUF_HEADROOM inside the data
// room (umem_frame_room.h).
MbufOverheads DenseMbufPoolOverheads();

// `data_room` as rte_pktmbuf_pool_create's: headroom included.
absl::StatusOr<rte_mempool*> CreateDenseMbufPool(const std::string& name, unsigned count,
                                                 uint16_t data_room);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_DENSE_MEMPOOL_H_
