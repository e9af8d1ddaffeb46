// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dmpd {
namespace {

constexpr size_t kMaxRequest = 4096;
// The whole exchange with one client; the main loop serves it, so a client that trickles
// its request must not hold hellos and the public ring hostage.
constexpr int kClientBudgetMs = 500;
constexpr timeval kSendTimeout{.tv_sec = 0, .tv_usec = 500000};

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("control_socket: path longer than ", sizeof(addr.sun_path) - 1, " bytes"));
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

bool SomeoneAnswers(const sockaddr_un& addr) {
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.valid() &&
         connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Listen(const std::string& path) {
  auto addr = Address(path);
  if (!addr.ok()) return addr.status();
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const bool made_dir = !std::filesystem::exists(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (SomeoneAnswers(*addr)) {
    return absl::AlreadyExistsError(
        absl::StrCat("control socket ", path, " is served by a running daemon"));
  }
  ::unlink(path.c_str());  // stale, from a crashed run
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "creating the control socket");
  // Create it with no access for others, then open it to the group: no window where it is
  // world-accessible.
  mode_t old = umask(0117);
  int rc = bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  umask(old);
  if (rc != 0) return absl::ErrnoToStatus(errno, absl::StrCat("binding ", path));
  if (listen(fd.get(), 16) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("listening on ", path));
  auto server = std::unique_ptr<ControlServer>(new ControlServer(std::move(fd), path));
  if (made_dir) server->made_dir_ = dir.string();
  return server;
}

ControlServer::~ControlServer() {
  if (listen_.valid()) ::unlink(path_.c_str());
  if (!made_dir_.empty()) ::rmdir(made_dir_.c_str());  // only if empty: others may share it
}

void ControlServer::ServeOne(const Handler& handler) {
  UniqueFd client(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!client.valid()) return;
  setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof(kSendTimeout));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kClientBudgetMs);
  std::string request;
  char buf[512];
  while (request.size() < kMaxRequest && request.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{.fd = client.get(), .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    ssize_t n = recv(client.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  absl::string_view command = request;
  command = command.substr(0, command.find('\n'));
  std::string reply = handler(absl::StripAsciiWhitespace(command));
  reply.push_back('\n');
  size_t done = 0;
  while (done < reply.size()) {
    ssize_t n = send(client.get(), reply.data() + done, reply.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace dmpd
