// SPDX-License-Identifier: BSD-3-Clause
// Pins need a bpf filesystem. systemd mounts one at /sys/fs/bpf on most hosts; where
// nobody did, we mount it, as bpftool and Cilium do.
#ifndef DMPD_USERSPACE_XDP_BPFFS_H_
#define DMPD_USERSPACE_XDP_BPFFS_H_

#include <string>

#include "absl/status/status.h"

namespace dmpd {

// Ensures `pin_dir` lies on a bpf filesystem, mounting one at /sys/fs/bpf if `pin_dir` is
// below it and nothing is mounted there. Fails with advice otherwise.
absl::Status EnsureBpffsFor(const std::string& pin_dir);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_BPFFS_H_
