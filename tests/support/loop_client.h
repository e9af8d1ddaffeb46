// SPDX-License-Identifier: BSD-3-Clause
// A client for tests of servers that run on an EventLoop: it connects, sends, and turns the
// loop (on the test's own thread) until the server closes the connection, so a test needs
// no threads and no sleeps.
#ifndef DMPD_TESTS_SUPPORT_LOOP_CLIENT_H_
#define DMPD_TESTS_SUPPORT_LOOP_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>

#include "userspace/runtime/event_loop.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd::testing {

inline UniqueFd ConnectUnix(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return UniqueFd();
  return fd;
}

inline UniqueFd ConnectTcp(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return UniqueFd();
  return fd;
}

// Sends `request` on `fd` (connected; the server's backlog took it) and turns `loop` until
// the server closes, or `max_rounds` rounds pass (nullopt: no end seen).
inline std::optional<std::string> Exchange(EventLoop& loop, const UniqueFd& fd,
                                           const std::string& request, int max_rounds = 200) {
  if (!request.empty() &&
      send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  std::string reply;
  char buf[65536];
  for (int round = 0; round < max_rounds; ++round) {
    (void)loop.RunOnce(10);
    while (true) {
      const ssize_t n = recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        reply.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return reply;
      break;  // nothing yet
    }
  }
  return std::nullopt;
}

// True once the server has closed `fd` (turning `loop` meanwhile).
inline bool ClosedByServer(EventLoop& loop, const UniqueFd& fd, int max_rounds = 200) {
  char buf[4096];
  for (int round = 0; round < max_rounds; ++round) {
    (void)loop.RunOnce(10);
    const ssize_t n = recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
  }
  return false;
}

}  // namespace dmpd::testing

#endif  // DMPD_TESTS_SUPPORT_LOOP_CLIENT_H_
