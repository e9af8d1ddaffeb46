// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/dense_mempool.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd {
namespace {

constexpr unsigned kMbufCache = 256;

struct Span {
  uintptr_t lo = UINTPTR_MAX;
  uintptr_t hi = 0;
};

void ExtendSpan(rte_mempool*, void* opaque, rte_mempool_memhdr* memhdr, unsigned) {
  auto* s = static_cast<Span*>(opaque);
  auto lo = reinterpret_cast<uintptr_t>(memhdr->addr);
  s->lo = std::min(s->lo, lo);
  s->hi = std::max(s->hi, lo + memhdr->len);
}

}  // namespace

MbufOverheads DenseMbufPoolOverheads() {
  return {.before_data_room = static_cast<uint32_t>(
              RTE_ALIGN_CEIL(sizeof(rte_mempool_objhdr), RTE_MEMPOOL_ALIGN) + sizeof(rte_mbuf)),
          .headroom = RTE_PKTMBUF_HEADROOM,
          .default_data_room = RTE_MBUF_DEFAULT_BUF_SIZE};
}

absl::StatusOr<rte_mempool*> CreateDenseMbufPool(const std::string& name, unsigned count,
                                                 uint16_t data_room) {
  const unsigned elt_size = sizeof(rte_mbuf) + data_room;
  // A per-lcore cache keeps the worker's frees and the PMD's refills off the shared ring;
  // it changes nothing in the memory layout. NO_SPREAD: without it an object of an even
  // number of cache lines is padded by one (to spread objects over memory channels), and
  // the PMD would register that padded size as the UMEM chunk (a 4096 B object becomes
  // 4160, more than the kernel allows).
  rte_mempool* mp = rte_mempool_create_empty(name.c_str(), count, elt_size, kMbufCache,
                                             sizeof(rte_pktmbuf_pool_private), SOCKET_ID_ANY,
                                             RTE_MEMPOOL_F_NO_IOVA_CONTIG |
                                                 RTE_MEMPOOL_F_NO_SPREAD);
  if (mp == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("creating mbuf pool ", name, ": ", rte_strerror(rte_errno)));
  }
  if (int rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), nullptr); rc != 0) {
    rte_mempool_free(mp);
    return absl::InternalError(absl::StrCat("mbuf pool ", name, " ops: ", rte_strerror(-rc)));
  }
  rte_pktmbuf_pool_init(mp, nullptr);
  if (int rc = rte_mempool_populate_default(mp); rc < 0) {
    rte_mempool_free(mp);
    return absl::ResourceExhaustedError(
        absl::StrCat("populating mbuf pool ", name, ": ", rte_strerror(-rc),
                     " (raise memory_mb or lower mbufs_per_port)"));
  }
  rte_mempool_obj_iter(mp, rte_pktmbuf_init, nullptr);

  Span span;
  rte_mempool_mem_iter(mp, ExtendSpan, &span);
  const size_t dense = static_cast<size_t>(mp->populated_size) *
                       (mp->header_size + mp->elt_size + mp->trailer_size);
  if (span.hi - span.lo != dense) {
    rte_mempool_free(mp);
    return absl::InternalError(absl::StrCat("mbuf pool ", name, " is not one dense region (",
                                            span.hi - span.lo, " bytes for ", dense,
                                            "): the af_xdp PMD would lose frames"));
  }
  return mp;
}

}  // namespace dmpd
