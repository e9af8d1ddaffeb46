// SPDX-License-Identifier: BSD-3-Clause
// libdmpd: the application's side of pipes (issue 8; PIPE-1, PIPE-2). An application in its
// own process connects to the daemon's pipe socket, opens pipes, and exchanges messages with
// pipes on any node through shared-memory rings: no DPDK, no EAL, no hugepages, no root
// (membership of the daemon's group is enough), no syscall per message in steady state.
// docs/pipes.md, "Applications", has the guide and an example.
//
// Threads: one thread may send on a Pipe while another receives on it (the tx and rx rings
// are independent); two threads must not send on the same Pipe at once, nor receive. Set-up
// calls (Reconfigure, DaemonCounters, Close) are not to race with the hot path of the same
// Pipe. Distinct Pipes are independent; a Client's requests are serialised internally.
#ifndef DMPD_USERSPACE_LIBDMPD_DMPD_H_
#define DMPD_USERSPACE_LIBDMPD_DMPD_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userspace/pipe/message_ring.h"
#include "userspace/pipe/session_protocol.h"
#include "userspace/pipe/token_bucket.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd::app {

using PipeConfig = ::dmpd::pipe::PipeConfig;
using PipeCounters = ::dmpd::pipe::PipeCounters;

// Where the daemon listens unless told otherwise: $DMPD_PIPE_SOCKET, else this.
inline constexpr char kDefaultPipeSocket[] = "/run/dmpd/dmpdd-pipes.sock";
// The wire carries a message type in one byte.
inline constexpr uint16_t kMaxMessageType = 255;

// What a hot-path send returns. Nothing that returns kOk is ever dropped silently: it is
// delivered, or named in a daemon drop counter, or (daemon gone) in accepted_unsent.
enum class SendStatus : uint8_t {
  kOk,
  kRingFull,     // the tx ring has no room now: retry later, or SendBlocking
  kRateLimited,  // the pipe's threshold (rate_bytes_per_s, burst) holds it back now
  kTooLarge,     // 0 bytes or more than max_message(): never fits
  kBadType,      // type above kMaxMessageType
  kClosed,       // the pipe was closed (or its ring found corrupt)
  kDaemonGone,   // the session socket hung up; see counters().accepted_unsent
};
const char* SendStatusName(SendStatus s);

// The library's own counters for one pipe (the daemon's are DaemonCounters()).
struct Counters {
  uint64_t sent = 0;        // accepted into the tx ring
  uint64_t sent_bytes = 0;  // payload bytes of those
  uint64_t received = 0;
  uint64_t received_bytes = 0;
  uint64_t ring_full = 0;     // sends refused with kRingFull
  uint64_t rate_limited = 0;  // sends refused with kRateLimited
  uint64_t too_large = 0;     // sends refused with kTooLarge
  uint64_t bad_type = 0;      // sends refused with kBadType
  // Accepted but still in the tx ring when the daemon went away or the pipe closed before
  // the daemon took them: at most this many were not sent (the daemon may have read some
  // without releasing them yet).
  uint64_t accepted_unsent = 0;
};

// A message as received. `payload` points into the shared ring: valid during the Poll
// callback, or until Release() after ReceiveBatch.
struct Received {
  uint16_t node = 0;  // the sender's node
  uint16_t pipe = 0;  // the sender's pipe
  uint16_t type = 0;
  uint64_t sequence = 0;  // the sender pipe's 64-bit sequence (numbered by its daemon)
  std::span<const std::byte> payload;
};

// One message of a SendBatch.
struct Outgoing {
  uint16_t node = 0;  // destination node
  uint16_t pipe = 0;  // destination pipe
  uint16_t type = 0;  // 0..kMaxMessageType
  std::span<const std::byte> payload;
};

class Session;  // the connection, shared by a Client and its Pipes (dmpd.cc)

class Pipe {
 public:
  ~Pipe();  // Close(), ignoring its status
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // ---- hot path: no allocation, no syscall unless a doorbell must be rung
  SendStatus Send(uint16_t dst_node, uint16_t dst_pipe, uint16_t type,
                  std::span<const std::byte> payload);
  // Sends msgs in order until one is refused; one publish (and at most one doorbell) for
  // all. Returns how many were accepted; *first_failure is why the next one was not (kOk
  // if all were).
  size_t SendBatch(std::span<const Outgoing> msgs, SendStatus* first_failure);

  // Calls cb for up to `max` messages, then frees their room. Returns how many.
  size_t Poll(absl::FunctionRef<void(const Received&)> cb, size_t max = 64);
  // Fills `out` with up to out.size() messages without freeing them; the payloads stay
  // valid until Release(), which must come before the next ReceiveBatch/Poll.
  size_t ReceiveBatch(std::span<Received> out);
  void Release();

  // ---- blocking helpers (sleep on the doorbell; wake on daemon gone too)
  // Retries while the ring is full or the rate limit holds; on timeout returns the status
  // that held the message back (kRingFull or kRateLimited).
  SendStatus SendBlocking(uint16_t dst_node, uint16_t dst_pipe, uint16_t type,
                          std::span<const std::byte> payload, std::chrono::nanoseconds timeout);
  // Waits up to `timeout` for at least one message, then behaves as Poll. Returns 0 on
  // timeout, on close and when the daemon is gone (daemon_gone() tells).
  size_t ReceiveBlocking(absl::FunctionRef<void(const Received&)> cb,
                         std::chrono::nanoseconds timeout, size_t max = 64);

  // ---- your own event loop: fd() is an epoll descriptor that becomes readable when
  // messages arrive, when tx room frees up (if armed with ArmSend) and when the daemon goes.
  // Pattern: Poll until empty; if (ArmReceive()) wait on fd(); Disarm(); repeat.
  int fd() const;
  // Announces that we are about to sleep: the daemon rings on the next message. False: a
  // message is already there (do not sleep; the arm is withdrawn).
  bool ArmReceive();
  // After kRingFull: the daemon rings when room for `length` bytes appears. False: room
  // appeared meanwhile (retry, do not sleep).
  bool ArmSend(uint32_t length);
  // After waking (or giving up waiting): withdraws the arms and resets the doorbell.
  void Disarm();

  // ---- slow path
  // Checks the session socket (one non-blocking poll()); on hang-up marks the pipe gone and
  // counts what is left in the tx ring in accepted_unsent.
  bool daemon_gone();
  // Priority, threshold (rate/burst), copies and the buffer size may change; the pipe id
  // may not. A new buffer_bytes resizes both rings (PIPE-2, "ask for more buffer"): sends go
  // to the new tx ring at once; receives read the old rx ring to its end, then the new one,
  // so nothing is lost or reordered. Unavailable while the previous resize is still under
  // way (the old rx ring not yet read to its end: Poll, then retry); ResourceExhausted when
  // the daemon's ring memory (pipe_memory_mb) cannot hold old and new rings together.
  absl::Status Reconfigure(const PipeConfig& config);
  absl::StatusOr<PipeCounters> DaemonCounters();
  // Waits up to `drain` for the daemon to take what is queued, then closes the pipe. Returns
  // DataLoss naming the count if accepted messages were left (also in accepted_unsent).
  absl::Status Close(std::chrono::milliseconds drain = std::chrono::milliseconds(2000));

  const Counters& counters() const { return counters_; }
  const PipeConfig& config() const { return config_; }  // as granted by the daemon
  uint16_t id() const { return config_.pipe; }
  uint16_t node() const { return node_; }  // this node's number
  uint32_t max_message() const { return max_message_; }
  size_t tx_queued_bytes() const;  // monitoring
  // A resize whose old rings are still mapped (the old rx ring not read to its end).
  bool resizing() const { return old_region_ != nullptr; }

 private:
  friend class Client;
  struct Parts;  // what Client::Open assembles (dmpd.cc)
  explicit Pipe(Parts&& parts);
  SendStatus SendOne(uint16_t dst_node, uint16_t dst_pipe, uint16_t type,
                     std::span<const std::byte> payload, bool count_refusal);
  SendStatus SlowFull();
  void RingTxDoorbell();
  void DrainRxDoorbell();
  void MarkGone();
  uint64_t CountQueued() const;
  // Waits on the rx doorbell and the session socket until `deadline_ns` (CLOCK_MONOTONIC).
  // Returns false when the daemon is gone.
  bool WaitUntil(uint64_t deadline_ns);
  absl::Status ApplyRate(const PipeConfig& c);
  // Maps the rings of a resize reply and moves the tx side to them.
  absl::Status StartResize(const pipe::ResizeReply& reply, UniqueFd memfd);
  // Once the old rx ring is finished and read: moves to the new one. Unmaps the old region
  // once, besides, the daemon has taken everything from the old tx ring. True when rx moved.
  bool FollowResize();
  // Messages the daemon has not taken from a tx ring in [region, region + bytes).
  static uint64_t CountQueuedIn(void* region, size_t bytes);

  // Hot fields first.
  pipe::MessageRingProducer tx_;
  pipe::MessageRingConsumer rx_;
  bool limited_ = false;  // a threshold applies: consult bucket_
  std::atomic<bool> gone_{false};
  std::atomic<bool> closed_{false};
  uint32_t max_message_ = 0;
  int tx_doorbell_ = -1;  // = tx_doorbell_fd_.get(), read once
  Counters counters_;
  std::optional<pipe::TokenBucket> bucket_;  // set iff limited_

  std::shared_ptr<Session> session_;
  PipeConfig config_;
  uint16_t node_ = 0;
  void* region_ = nullptr;
  size_t region_bytes_ = 0;
  size_t rx_offset_ = 0;  // the tx ring's region is [0, rx_offset_)
  // During a resize: the new rx ring, and the old region (its tx ring at 0, up to
  // old_rx_offset_) until both its rings are done with.
  std::optional<pipe::MessageRingConsumer> next_rx_;
  void* old_region_ = nullptr;
  size_t old_region_bytes_ = 0;
  size_t old_rx_offset_ = 0;
  bool torn_down_ = false;
  UniqueFd tx_doorbell_fd_;
  UniqueFd rx_doorbell_fd_;
  UniqueFd epoll_fd_;
};

class Client {
 public:
  // Connects to the daemon's pipe socket: `path`, else $DMPD_PIPE_SOCKET, else
  // kDefaultPipeSocket. PermissionDenied when the socket's group does not include us.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(std::string path = "");
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Opens a pipe: the daemon creates its rings; they are mapped here. AlreadyExists when
  // the id is taken on this node.
  absl::StatusOr<std::unique_ptr<Pipe>> Open(const PipeConfig& config);

  const std::string& path() const;
  // The session socket: readable/hung-up when the daemon goes away.
  int fd() const;

 private:
  explicit Client(std::shared_ptr<Session> s) : session_(std::move(s)) {}
  std::shared_ptr<Session> session_;
};

}  // namespace dmpd::app

#endif  // DMPD_USERSPACE_LIBDMPD_DMPD_H_
