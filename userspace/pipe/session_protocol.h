// SPDX-License-Identifier: BSD-3-Clause
// The pipe session protocol: how an application (libdmpd) and the daemon agree on pipes
// (PIPE-1, PIPE-2). docs/pipes.md, "Sessions", is the reference.
//
// - A SOCK_SEQPACKET Unix socket (`pipe_socket`, mode 0660, group `pipe_group`): one
//   connection is one application session; when it closes (the application exits or is
//   killed) the daemon closes every pipe of the session and reclaims its memory.
// - Each request is one datagram of JSON, each reply one datagram of JSON; the reply to a
//   successful `open` carries three descriptors (SCM_RIGHTS): the pipe's shared memory
//   (memfd), the eventfd the application writes to wake the daemon (its tx doorbell) and
//   the eventfd the daemon writes to wake the application (its rx doorbell).
// - The memfd holds two MessageRings: the tx ring (application → daemon) at offset 0 and the
//   rx ring (daemon → application) at `rx_offset`. On the tx ring a record's node/pipe are the
//   destination; on the rx ring, the sender, with the sender's 64-bit sequence.
// - A `reconfigure` that asks for another buffer size resizes the rings (PIPE-2, "ask for
//   more buffer"): its reply carries a new memfd with two fresh rings. Each side finishes
//   the ring it produces (MessageRingProducer::Finish) and writes to the new one; each
//   consumer reads its old ring to the end (Drained) before it moves, so nothing is lost or
//   reordered and neither side waits for the other.
// Pure: JSON in and out; the descriptors are the caller's business (runtime/fd_passing.h).
#ifndef DMPD_USERSPACE_PIPE_SESSION_PROTOCOL_H_
#define DMPD_USERSPACE_PIPE_SESSION_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dmpd::pipe {

inline constexpr uint32_t kSessionProtocolVersion = 1;
// A request or reply datagram is at most this long.
inline constexpr size_t kMaxSessionDatagram = 4096;
inline constexpr uint16_t kMaxPipeId = 0xFFFE;  // 0xFFFF is reserved
inline constexpr uint8_t kMaxPriority = 7;
inline constexpr uint8_t kMaxCopies = 4;  // PipeConfig::copies

// What an application asks for a pipe (PIPE-2). Zero rate: no threshold.
struct PipeConfig {
  uint16_t pipe = 0;                // this node's pipe id, unique on the node
  uint8_t priority = 0;             // 0 (lowest) .. kMaxPriority
  uint64_t rate_bytes_per_s = 0;    // token bucket rate; 0: unlimited
  uint64_t burst_bytes = 0;         // token bucket depth; 0: one largest message
  uint64_t buffer_bytes = 1 << 20;  // each ring's data area (rounded up to a power of two)
  uint8_t copies = 1;               // k of PIPE-5: each message on k distinct ports, 1..4
  friend bool operator==(const PipeConfig&, const PipeConfig&) = default;
};
// Checks ranges; the daemon also applies its own limits (budget, max rate).
absl::Status ValidatePipeConfig(const PipeConfig& c);

// Requests.
struct OpenRequest {
  PipeConfig config;
};
struct ReconfigureRequest {  // priority, rate/burst, copies, and the rings' size
  PipeConfig config;
};
struct CloseRequest {
  uint16_t pipe = 0;
};
struct StatsRequest {
  uint16_t pipe = 0;
};
using SessionRequest = std::variant<OpenRequest, ReconfigureRequest, CloseRequest, StatsRequest>;

// Replies. Every reply says ok or names an error: `code` is an absl::StatusCode name
// ("ALREADY_EXISTS", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "NOT_FOUND", ...).
struct OpenReply {
  uint16_t pipe = 0;
  uint16_t node = 0;            // this node's number
  uint64_t region_bytes = 0;    // the memfd's size
  uint64_t rx_offset = 0;       // where the rx ring starts (the tx ring at 0)
  uint32_t max_message = 0;     // largest message payload, bytes
  PipeConfig granted;           // what the daemon applied (limits may lower a request)
};
struct PipeCounters {  // the daemon's side of one pipe
  uint64_t sent_messages = 0, sent_bytes = 0, received_messages = 0, received_bytes = 0;
  uint64_t dropped_rx_full = 0;      // arrived for this pipe, its rx ring was full
  uint64_t dropped_no_route = 0;     // destination node unknown or no port up
  uint64_t dropped_too_large = 0;    // larger than the daemon accepts
  uint64_t degraded_copies = 0;      // sent on fewer than k ports
  uint64_t duplicates = 0;           // extra copies dropped at this receiver
  uint64_t rate_limited_ns = 0;      // time the token bucket held the ring back
  friend bool operator==(const PipeCounters&, const PipeCounters&) = default;
};
struct StatsReply {
  PipeCounters counters;
};
// A reconfigure that resized the rings; carries the new memfd (one descriptor).
struct ResizeReply {
  uint64_t region_bytes = 0;
  uint64_t rx_offset = 0;
  PipeConfig granted;
};
struct OkReply {};
struct ErrorReply {
  absl::Status status;
};
using SessionReply = std::variant<OpenReply, StatsReply, OkReply, ErrorReply, ResizeReply>;

std::string EncodeRequest(const SessionRequest& r);
absl::StatusOr<SessionRequest> DecodeRequest(std::string_view datagram);
std::string EncodeReply(const SessionReply& r);
// open → OpenReply, stats → StatsReply, close → OkReply, reconfigure → OkReply or (a new
// buffer size) ResizeReply; any → ErrorReply.
absl::StatusOr<SessionReply> DecodeReply(std::string_view datagram);

// The memfd layout for rings of `buffer_bytes` data area each (rounded up to a power of
// two, at least what a largest message needs): the tx ring at 0, the rx ring page-aligned
// after it.
struct RegionLayout {
  uint64_t ring_capacity = 0;
  uint64_t ring_region_bytes = 0;  // RingRegionSize(ring_capacity)
  uint64_t rx_offset = 0;
  uint64_t total_bytes = 0;
};
RegionLayout LayoutFor(uint64_t buffer_bytes, uint32_t max_message);

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_SESSION_PROTOCOL_H_
