// SPDX-License-Identifier: BSD-3-Clause
// InterfaceLock: one live daemon per interface. A dmpd_steer program found on an interface
// whose lock nobody holds was left by a crash and may be replaced; one whose lock is held
// belongs to a running daemon and must not be touched. The lock is an flock, so the kernel
// releases it when its holder dies, however it dies.
#ifndef DMPD_USERSPACE_XDP_INTERFACE_LOCK_H_
#define DMPD_USERSPACE_XDP_INTERFACE_LOCK_H_

#include <string>

#include "absl/status/statusor.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

class InterfaceLock {
 public:
  // Locks `ifname` of the caller's network namespace under `lock_dir`. Fails with
  // kUnavailable if another process holds it.
  static absl::StatusOr<InterfaceLock> Acquire(const std::string& lock_dir,
                                               const std::string& ifname);

  InterfaceLock(InterfaceLock&&) = default;
  InterfaceLock& operator=(InterfaceLock&&) = default;
  ~InterfaceLock();

 private:
  InterfaceLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_INTERFACE_LOCK_H_
