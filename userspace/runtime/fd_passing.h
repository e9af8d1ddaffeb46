// SPDX-License-Identifier: BSD-3-Clause
// One datagram with descriptors over a Unix socket (SCM_RIGHTS): how the daemon hands a
// pipe's shared memory and doorbells to an application (docs/pipes.md, "Sessions").
#ifndef DMPD_USERSPACE_RUNTIME_FD_PASSING_H_
#define DMPD_USERSPACE_RUNTIME_FD_PASSING_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

inline constexpr size_t kMaxPassedFds = 4;

// Sends `bytes` as one datagram with `fds` (at most kMaxPassedFds) attached. MSG_NOSIGNAL:
// a peer that went away is an error, not a SIGPIPE.
absl::Status SendWithFds(int socket, std::string_view bytes, std::span<const int> fds);

struct Datagram {
  std::string bytes;
  std::vector<UniqueFd> fds;
};
// Receives one datagram of at most `max_bytes` and the descriptors that came with it (a
// truncated datagram or descriptors is an error; the descriptors are closed). An orderly
// shutdown by the peer is NotFound ("closed").
absl::StatusOr<Datagram> ReceiveWithFds(int socket, size_t max_bytes, int flags = 0);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_FD_PASSING_H_
