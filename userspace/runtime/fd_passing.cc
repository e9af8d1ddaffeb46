// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/fd_passing.h"

#include <sys/socket.h>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace dmpd {

absl::Status SendWithFds(int socket, std::string_view bytes, std::span<const int> fds) {
  if (fds.size() > kMaxPassedFds) return absl::InvalidArgumentError("too many descriptors");
  iovec iov{.iov_base = const_cast<char*>(bytes.data()), .iov_len = bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return absl::ErrnoToStatus(errno, "sendmsg");
  if (static_cast<size_t>(n) != bytes.size()) return absl::DataLossError("short sendmsg");
  return absl::OkStatus();
}

absl::StatusOr<Datagram> ReceiveWithFds(int socket, size_t max_bytes, int flags) {
  Datagram d;
  d.bytes.resize(max_bytes);
  iovec iov{.iov_base = d.bytes.data(), .iov_len = d.bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(socket, &msg, flags | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return absl::ErrnoToStatus(errno, "recvmsg");
  // Take ownership of whatever came, so an error below still closes it.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      d.fds.emplace_back(fd);
    }
  }
  if (n == 0 && d.fds.empty()) return absl::NotFoundError("closed");
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    return absl::InvalidArgumentError(absl::StrCat("datagram or descriptors truncated (over ",
                                                   max_bytes, " bytes)"));
  }
  d.bytes.resize(static_cast<size_t>(n));
  return d;
}

}  // namespace dmpd
