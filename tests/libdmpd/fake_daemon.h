// SPDX-License-Identifier: BSD-3-Clause
// FakeDaemon: the daemon's side of the pipe session protocol (userspace/pipe/
// session_protocol.h), enough to test libdmpd and dmpd-perf without DPDK, ports or root.
// It serves a Unix socket, creates each pipe's memfd with both rings and the two doorbells,
// and in loopback moves every tx record into the rx ring of the destination pipe on this
// same fake node (whatever node the record names), with the sender's node and pipe and a
// per-sender-pipe 64-bit sequence (from 0). A full destination ring holds the message back
// (it is not dropped): the fake waits for room with the doorbell protocol, as the daemon
// would for a local pipe. Doorbells both ways follow docs/pipes.md: the fake sleeps in
// poll() when nothing moves, and never wakes on a timer. A reconfigure with another buffer
// size resizes the rings as the daemon does (docs/pipes.md, "Resizing").
#ifndef DMPD_TESTS_LIBDMPD_FAKE_DAEMON_H_
#define DMPD_TESTS_LIBDMPD_FAKE_DAEMON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "userspace/pipe/message_ring.h"
#include "userspace/pipe/session_protocol.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd::fake {

class FakeDaemon {
 public:
  struct Options {
    std::string socket_path;  // created (an old socket file there is replaced)
    uint16_t node = 1;
    uint32_t max_message = pipe::kMaxRingMessage;
  };
  // Binds and starts serving on its own thread.
  static absl::StatusOr<std::unique_ptr<FakeDaemon>> Start(const Options& options);
  ~FakeDaemon();  // Kill(), then removes the socket file

  // Off: tx rings are left as they are (they fill up); on again: moving resumes.
  void SetForwarding(bool on);
  // The daemon dies: the thread stops, every socket closes (applications see the hang-up),
  // the fake's mappings go. Idempotent.
  void Kill();

  // For benchmarks: stop the thread but keep every pipe; then the caller drives Forward()
  // and may reach the rings directly. Not to be mixed with the thread.
  void StopThread();
  // One pass over every pipe's tx ring (up to a budget each). Returns messages moved.
  size_t Forward();
  pipe::MessageRingConsumer* TxRing(uint16_t pipe);  // the app's tx ring, our end
  pipe::MessageRingProducer* RxRing(uint16_t pipe);  // the app's rx ring, our end

  std::optional<pipe::PipeCounters> Counters(uint16_t pipe);
  std::optional<pipe::PipeConfig> Config(uint16_t pipe);
  size_t open_pipes();
  // Whether the application announced it sleeps on its rx ring (rx) or waits for room in
  // its tx ring (!rx): lets a test act only once the application is really asleep.
  bool AppWaits(uint16_t pipe, bool rx);
  uint64_t sessions_accepted();
  uint64_t resizes();  // reconfigures that moved a pipe to rings of another size

 private:
  struct PipeState;
  explicit FakeDaemon(const Options& o);
  void Run();
  size_t ForwardLocked();
  void ServeSession(int fd, short revents);
  void HandleRequest(int fd, const pipe::SessionRequest& request);
  void DropSession(int fd);
  void RemovePipe(uint16_t id);
  void TearDownLocked();

  const Options options_;
  std::mutex mu_;
  bool stop_ = false;
  bool forwarding_ = true;
  bool killed_ = false;
  UniqueFd listen_;
  UniqueFd wake_;  // eventfd: the thread's attention, for stop and SetForwarding
  std::map<int, UniqueFd> sessions_;
  std::map<uint16_t, std::unique_ptr<PipeState>> pipes_;
  uint64_t accepted_ = 0;
  uint64_t resizes_ = 0;
  std::thread thread_;
};

}  // namespace dmpd::fake

#endif  // DMPD_TESTS_LIBDMPD_FAKE_DAEMON_H_
