// SPDX-License-Identifier: BSD-3-Clause
// The cluster key (PROTO-4): read from a file that only its owner can read or write
// (REL-4), like ssh's private keys; anything else is refused with a message saying how
// to fix it.
#ifndef DMPD_USERSPACE_DAEMON_CLUSTER_KEY_H_
#define DMPD_USERSPACE_DAEMON_CLUSTER_KEY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/frame_auth.h"

namespace dmpd {

// The key is the file's bytes, without one trailing newline; at least kMinClusterKeyLen.
absl::StatusOr<std::unique_ptr<FrameAuth>> LoadClusterKey(const std::string& path);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_CLUSTER_KEY_H_
