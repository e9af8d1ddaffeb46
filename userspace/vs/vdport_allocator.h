// SPDX-License-Identifier: BSD-3-Clause
// VdportAllocator: the ports the service's translated requests leave from (seed 004, §4.2).
// A request cip:cport → vip:vport leaves as vip:vdport → bip:bport; the backend's reply
// comes back to vip:vdport, and (bip, bport, vip, vdport) must name one connection. So a
// vdport may serve one connection toward each backend at once: one vdport is reused
// across backends, and the service holds at most ports × backends connections (Max-CC,
// eq. 6). The seed's counter array vdport[i] (connections using port i; free again at 0)
// is `users(i)`.
//
// Per backend, a bitmap of the range: Acquire finds a port free toward that backend
// (scanning 64 ports a word from a rotating cursor), Release clears it. Memory is
// allocated at Create for max_backends; nothing after.
#ifndef DMPD_USERSPACE_VS_VDPORT_ALLOCATOR_H_
#define DMPD_USERSPACE_VS_VDPORT_ALLOCATOR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace dmpd::vs {

class VdportAllocator {
 public:
  // Ports first..last (inclusive), backends 0..max_backends−1.
  static absl::StatusOr<VdportAllocator> Create(uint16_t first, uint16_t last,
                                                uint32_t max_backends);

  // A vdport not in use toward `backend`, marked used; nullopt (counted) when every port of
  // the range is, or `backend` is out of range.
  std::optional<uint16_t> Acquire(uint32_t backend);
  // Gives `vdport` back for `backend`; false (counted) if it was not in use.
  bool Release(uint32_t backend, uint16_t vdport);

  uint16_t first() const { return first_; }
  uint16_t last() const { return last_; }
  uint32_t port_count() const { return static_cast<uint32_t>(last_ - first_) + 1; }
  uint32_t max_backends() const { return max_backends_; }
  // Connections using `vdport` (toward any backend): the seed's vdport[i].
  uint32_t users(uint16_t vdport) const;
  uint64_t in_use() const { return in_use_; }              // (backend, vdport) pairs
  uint32_t ports_in_use() const { return ports_in_use_; }  // vdports with users > 0
  uint64_t refused() const { return refused_; }            // Acquire found none
  uint64_t bad_releases() const { return bad_releases_; }

 private:
  VdportAllocator(uint16_t first, uint16_t last, uint32_t max_backends);
  static constexpr uint32_t kWordBits = 64;

  uint16_t first_, last_;
  uint32_t max_backends_;
  uint32_t words_;  // per backend
  std::vector<uint64_t> bits_;     // backend b's words at [b * words_, (b + 1) * words_)
  std::vector<uint32_t> cursor_;   // per backend: the word to look at first
  std::vector<uint32_t> users_;    // per port of the range
  uint64_t in_use_ = 0;
  uint32_t ports_in_use_ = 0;
  uint64_t refused_ = 0;
  uint64_t bad_releases_ = 0;
};

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_VDPORT_ALLOCATOR_H_
