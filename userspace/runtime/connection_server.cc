// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/connection_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd {
namespace {

// Accepts per readiness event at most this many, so a connect storm shares the loop
// with timers and the other descriptors.
constexpr int kMaxAcceptsPerWake = 256;
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectionServer>> ConnectionServer::Create(
    EventLoop& loop, UniqueFd listening, ConnectionLimits limits, RequestProtocol protocol) {
  if (limits.max_clients == 0) return absl::InvalidArgumentError("max_clients must be > 0");
  std::unique_ptr<ConnectionServer> s(
      new ConnectionServer(loop, std::move(listening), limits, std::move(protocol)));
  s->stats_.max_clients = limits.max_clients;
  ConnectionServer* self = s.get();
  if (absl::Status st = loop.Watch(s->listen_.get(), EPOLLIN, [self](uint32_t) { self->AcceptAll(); });
      !st.ok()) {
    return st;
  }
  return s;
}

ConnectionServer::~ConnectionServer() {
  while (!oldest_first_.empty()) Close(oldest_first_.front());
  loop_.Unwatch(listen_.get());
}

ConnectionStats ConnectionServer::stats() const {
  ConnectionStats s = stats_;
  s.clients = connections_.size();
  return s;
}

void ConnectionServer::AcceptAll() {
  for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
    UniqueFd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++stats_.accept_errors;
      return;
    }
    ++stats_.accepted;
    if (connections_.size() >= limits_.max_clients) {
      ++stats_.evicted;
      Close(EvictionVictim());
    }
    const int raw = fd.get();
    if (!loop_.Watch(raw, EPOLLIN | EPOLLRDHUP, [this, raw](uint32_t ev) { OnReady(raw, ev); })
             .ok()) {
      ++stats_.accept_errors;
      continue;  // `fd` closes here
    }
    Connection& c = connections_[raw];
    c.fd = std::move(fd);
    c.age = oldest_first_.insert(oldest_first_.end(), raw);
    c.deadline = loop_.timers().After(limits_.client_timeout_ns, [this, raw] {
      ++stats_.timed_out;
      Close(raw);
    });
    // A client that sent its request with the connect is served now, before a storm of
    // further connects can push it out.
    ReadRequest(c);
  }
}

int ConnectionServer::EvictionVictim() const {
  // The oldest connection that has sent nothing yet; else the oldest.
  for (int fd : oldest_first_) {
    const Connection& c = connections_.at(fd);
    if (c.in.empty() && c.out.empty()) return fd;
  }
  return oldest_first_.front();
}

void ConnectionServer::OnReady(int fd, uint32_t events) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (!c.out.empty()) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) WriteReply(c);
    return;
  }
  ReadRequest(c);
}

void ConnectionServer::ReadRequest(Connection& c) {
  const int fd = c.fd.get();
  while (true) {
    // One byte past the limit tells "too large" from "exactly at the limit".
    const size_t room = limits_.max_request_bytes + 1 - c.in.size();
    const size_t want = std::min(room, kReadChunk);
    const size_t old = c.in.size();
    c.in.resize(old + want);
    const ssize_t n = recv(fd, c.in.data() + old, want, 0);
    c.in.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n > 0) {
      if (const size_t end = protocol_.request_end(c.in); end > 0) {
        StartReply(c, protocol_.reply(absl::string_view(c.in).substr(0, end)));
        return;
      }
      if (c.in.size() > limits_.max_request_bytes) {
        ++stats_.too_large;
        StartReply(c, protocol_.too_large_reply());
        return;
      }
      continue;
    }
    if (n == 0) {  // the peer will send no more
      if (protocol_.reply_on_eof && !c.in.empty()) {
        StartReply(c, protocol_.reply_on_eof(c.in));
      } else {
        Close(fd);
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) Close(fd);
    return;
  }
}

void ConnectionServer::StartReply(Connection& c, std::string reply) {
  c.in.clear();
  c.in.shrink_to_fit();  // a 64 KiB request need not stay while the reply drains
  c.out = std::move(reply);
  if (c.out.empty()) {
    Close(c.fd.get());
    return;
  }
  WriteReply(c);
}

void ConnectionServer::WriteReply(Connection& c) {
  const int fd = c.fd.get();
  while (c.sent < c.out.size()) {
    const ssize_t n = send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The client reads slowly: wait for room, within the same deadline.
      (void)loop_.Modify(fd, EPOLLOUT);
      return;
    }
    Close(fd);
    return;
  }
  ++stats_.served;
  // Half-close first so the client reads the whole reply before it sees the end.
  shutdown(fd, SHUT_WR);
  Close(fd);
}

void ConnectionServer::Close(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  loop_.timers().Cancel(it->second.deadline);
  oldest_first_.erase(it->second.age);
  loop_.Unwatch(fd);
  connections_.erase(it);  // closes the descriptor
}

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int type) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path ", path, " is longer than ", sizeof(addr.sun_path) - 1, " bytes"));
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  {
    UniqueFd probe(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
    if (probe.valid() &&
        connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("socket ", path, " is served by a running process"));
    }
  }
  ::unlink(path.c_str());  // stale, from a crashed run
  UniqueFd fd(socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("creating socket ", path));
  // Created with no access for others, then open to the group only: no window where it is
  // world-accessible.
  const mode_t old = umask(0117);
  const int rc = bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (rc != 0) return absl::ErrnoToStatus(errno, absl::StrCat("binding ", path));
  if (listen(fd.get(), SOMAXCONN) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listening on ", path));
  }
  return fd;
}

absl::StatusOr<UniqueFd> ListenTcp(const std::string& address, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", address));
  }
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "creating a TCP socket");
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("binding ", address, ":", port));
  }
  if (listen(fd.get(), SOMAXCONN) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listening on ", address, ":", port));
  }
  return fd;
}

uint16_t BoundTcpPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

}  // namespace dmpd
