// SPDX-License-Identifier: BSD-3-Clause
// ConnectionServer: request/response over a stream socket (the control socket, the
// metrics port), served from the EventLoop without ever blocking it (REL-5). Each
// connection sends one request and gets one reply, then is closed. Every connection has a
// deadline for the whole exchange; at most `max_clients` are open, and when one more
// arrives the oldest that has sent nothing (else the oldest) is closed to make room, and a
// new connection's request is read at once: idle or trickling clients can only ever cost
// each other their place, never delay a client that talks; a request longer than
// `max_request_bytes` is answered with the protocol's too-large reply and closed.
#ifndef DMPD_USERSPACE_RUNTIME_CONNECTION_SERVER_H_
#define DMPD_USERSPACE_RUNTIME_CONNECTION_SERVER_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "userspace/runtime/event_loop.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

struct ConnectionLimits {
  size_t max_clients = 64;
  uint64_t client_timeout_ns = 1'000'000'000;
  size_t max_request_bytes = 64 * 1024;
};

// How requests are framed and answered; the protocol's functions must not throw.
struct RequestProtocol {
  // Length of the complete request at the start of `buffered`, or 0 while it is not
  // complete yet.
  std::function<size_t(absl::string_view buffered)> request_end;
  std::function<std::string(absl::string_view request)> reply;
  std::function<std::string()> too_large_reply;
  // Called with what was buffered when the peer closed its side before a complete request
  // (a client that sends one line without a newline and shuts down writing). Empty: drop.
  std::function<std::string(absl::string_view buffered)> reply_on_eof;
};

struct ConnectionStats {
  uint64_t clients = 0;  // open now
  uint64_t max_clients = 0;
  uint64_t accepted = 0;
  uint64_t served = 0;     // replies sent in full
  uint64_t evicted = 0;    // closed to make room at the limit
  uint64_t timed_out = 0;  // deadline passed
  uint64_t too_large = 0;
  uint64_t accept_errors = 0;
};

class ConnectionServer {
 public:
  // Serves `listening` (a bound, listening, non-blocking socket) on `loop`.
  static absl::StatusOr<std::unique_ptr<ConnectionServer>> Create(EventLoop& loop,
                                                                 UniqueFd listening,
                                                                 ConnectionLimits limits,
                                                                 RequestProtocol protocol);
  ~ConnectionServer();
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  ConnectionStats stats() const;
  int listening_fd() const { return listen_.get(); }

 private:
  struct Connection {
    UniqueFd fd;
    std::string in;
    std::string out;
    size_t sent = 0;
    TimerQueue::TimerId deadline = 0;
    std::list<int>::iterator age;  // position in oldest-first order
  };
  ConnectionServer(EventLoop& loop, UniqueFd listening, ConnectionLimits limits,
                   RequestProtocol protocol)
      : loop_(loop), listen_(std::move(listening)), limits_(limits), protocol_(std::move(protocol)) {}

  void AcceptAll();
  int EvictionVictim() const;
  void OnReady(int fd, uint32_t events);
  void ReadRequest(Connection& c);
  void StartReply(Connection& c, std::string reply);
  void WriteReply(Connection& c);
  void Close(int fd);

  EventLoop& loop_;
  UniqueFd listen_;
  ConnectionLimits limits_;
  RequestProtocol protocol_;
  std::unordered_map<int, Connection> connections_;
  std::list<int> oldest_first_;
  ConnectionStats stats_;
};

// A Unix socket of `type` (SOCK_STREAM, SOCK_SEQPACKET) at `path`, created 0660 (REL-4)
// with no window where it is open to others; a stale socket file is replaced, one a live
// process answers on is refused.
absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int type = SOCK_STREAM);
// A TCP socket on IPv4 `address`:`port` (0: any free port).
absl::StatusOr<UniqueFd> ListenTcp(const std::string& address, uint16_t port);
// The port a TCP socket is bound to.
uint16_t BoundTcpPort(int fd);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_CONNECTION_SERVER_H_
