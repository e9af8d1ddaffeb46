// SPDX-License-Identifier: BSD-3-Clause
// MessageRing: a single-producer single-consumer ring of variable-length messages laid out
// in a memory region the caller provides (a memfd mapped by the daemon and an application,
// issue 8). The region holds no pointers, only byte positions; each side keeps its own
// position in private memory and trusts nothing it reads from the region: the peer's
// position and every record header are checked against the bounds before use, so a peer
// that is corrupt, malicious or dead can stall or garble its own messages but never make us
// read or write outside the region. Layout, record format and the doorbell protocol:
// docs/pipes.md.
#ifndef DMPD_USERSPACE_PIPE_MESSAGE_RING_H_
#define DMPD_USERSPACE_PIPE_MESSAGE_RING_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dmpd::pipe {

// The region's first 256 bytes, in host byte order (both ends run on one host). Three cache lines
// so that what the producer writes, what the consumer writes and what nobody writes after set-up
// never share a line.
struct RingHeader {
  // Line 0: written once by Initialise, read (and checked) by Attach.
  uint64_t magic;        // kRingMagic
  uint32_t version;      // kRingVersion
  uint32_t header_size;  // sizeof(RingHeader); the data area starts here
  uint64_t capacity;     // bytes in the data area, a power of two
  uint32_t max_message;  // largest payload accepted, bytes (<= kMaxRingMessage)
  uint32_t reserved0;
  uint8_t pad0[32];
  // Line 1: written by the producer (the consumer clears producer_waiting when it rings).
  uint64_t write_position;    // bytes ever published (monotonic, multiple of 8)
  uint32_t producer_waiting;  // 1: the producer waits for space and wants the doorbell
  uint32_t producer_finished;  // 1: the producer moved to another ring (a resize, PIPE-2)
  uint8_t pad1[48];
  // Line 2: written by the consumer (the producer clears consumer_sleeping when it rings).
  uint64_t read_position;      // bytes ever released (monotonic, multiple of 8)
  uint32_t consumer_sleeping;  // 1: the consumer sleeps and wants the doorbell
  uint32_t reserved2;
  uint8_t pad2[48];
  uint8_t pad3[64];  // room for a version 2 without moving the data area
};
static_assert(sizeof(RingHeader) == 256, "RingHeader is part of the shared layout");
static_assert(offsetof(RingHeader, capacity) == 16 && offsetof(RingHeader, max_message) == 24);
static_assert(offsetof(RingHeader, write_position) == 64, "producer line");
static_assert(offsetof(RingHeader, producer_waiting) == 72);
static_assert(offsetof(RingHeader, producer_finished) == 76);
static_assert(offsetof(RingHeader, read_position) == 128, "consumer line");
static_assert(offsetof(RingHeader, consumer_sleeping) == 136);

// Each message in the data area: this header, then the payload padded to 8 bytes.
struct RecordHeader {
  uint32_t length;    // payload bytes; kWrapMarker: skip to the start of the data area
  uint16_t type;      // the message type (the application's)
  uint16_t flags;     // the message's flags (the pipe layer's)
  uint64_t sequence;  // the sender's sequence for this pipe
  uint16_t node;      // the other end: destination on a tx ring, sender on an rx ring
  uint16_t pipe;      // the other end's pipe id
  uint32_t reserved;  // 0
};
static_assert(sizeof(RecordHeader) == 24, "RecordHeader is part of the shared layout");
static_assert(offsetof(RecordHeader, sequence) == 8 && offsetof(RecordHeader, node) == 16);

inline constexpr uint64_t kRingMagic = 0x474e495244504d44ull;  // "DMPDRING" little-endian
inline constexpr uint32_t kRingVersion = 1;
inline constexpr uint32_t kMaxRingMessage = 64 * 1024;
inline constexpr uint32_t kWrapMarker = 0xffffffffu;
inline constexpr size_t kRingAlignment = 64;

// Bytes a message of `length` payload bytes occupies in the data area.
constexpr uint64_t RecordBytes(uint32_t length) {
  return sizeof(RecordHeader) + ((uint64_t{length} + 7) & ~uint64_t{7});
}
// The smallest data area for messages of up to `max_message` bytes: a power of two that
// holds two of the largest records, so that one always fits in an empty ring whatever the
// position of the wrap (the tail lost to a wrap marker is shorter than one record).
uint64_t MinRingCapacity(uint32_t max_message);
// Region bytes needed for a data area of `capacity` bytes.
constexpr size_t RingRegionSize(uint64_t capacity) { return sizeof(RingHeader) + capacity; }

// What a message carries besides its payload.
struct MessageMeta {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint16_t node = 0;
  uint16_t pipe = 0;
  uint64_t sequence = 0;
};

enum class PushStatus : uint8_t {
  kOk,
  kFull,      // not enough free space now; retry after the consumer releases
  kTooLarge,  // longer than the ring's max_message; never fits
  kCorrupt,   // the consumer's position is impossible; the ring is unusable
};
const char* PushStatusName(PushStatus s);

enum class ReadStatus : uint8_t {
  kOk,
  kEmpty,
  kCorrupt,  // the producer's position or a record header is impossible
};
const char* ReadStatusName(ReadStatus s);

// Writes a fresh header for an empty ring into the region: the largest power-of-two data
// area that fits. `region` must be 64-byte aligned; the region must hold at least
// MinRingCapacity(max_message). Call before the region is handed to the peer.
absl::Status InitialiseMessageRing(void* region, size_t size,
                                   uint32_t max_message = kMaxRingMessage);

// What both ends check at Attach. Exposed for monitoring, which reads both positions.
struct RingGeometry {
  std::byte* data = nullptr;
  uint64_t capacity = 0;  // power of two
  uint32_t max_message = 0;
};

// Bytes queued in a ring (published, not yet released), for a third party that holds
// neither end (monitoring); 0 for positions that make no sense.
uint64_t ObserveRingFill(const void* region);

// The producing end. One thread at a time.
class MessageRingProducer {
 public:
  // Checks the header (magic, version, geometry inside `size`, positions consistent).
  static absl::StatusOr<MessageRingProducer> Attach(void* region, size_t size);

  // Copies one message in and publishes it. Sets *ring_doorbell when the consumer sleeps
  // and must be woken (write its eventfd); may be null if the caller never sleeps a peer.
  PushStatus TryPush(const MessageMeta& meta, std::span<const std::byte> payload,
                     bool* ring_doorbell = nullptr);

  // Zero copy: reserves room for one message and returns where its `length` payload bytes
  // go, or null with *status set. Reserved messages become visible, in order, at Publish.
  std::byte* TryReserve(const MessageMeta& meta, uint32_t length, PushStatus* status);
  // Makes every reserved message visible; returns true when the doorbell must be rung
  // (see docs/pipes.md: publish, full fence, then look at consumer_sleeping).
  bool Publish();

  // Copies as many of `metas[i]`/`payloads[i]` as fit, publishes once. Returns how many
  // went in; *first_failure is the status of the first that did not (kOk if all did).
  size_t TryPushBatch(std::span<const MessageMeta> metas,
                      std::span<const std::span<const std::byte>> payloads,
                      PushStatus* first_failure, bool* ring_doorbell = nullptr);

  // For a blocking send: after kFull, announce that we wait for `bytes` of payload to fit.
  // Returns false (and withdraws) when the room appeared meanwhile, so the caller retries
  // instead of sleeping; true means sleep on the doorbell, then call StopWaiting.
  bool PrepareToWaitForSpace(uint32_t length);
  void StopWaiting();

  // Publishes what is reserved and marks the ring finished: this producer writes no more
  // (it moved to a larger ring). Returns true when the consumer sleeps and must be woken to
  // see it. The consumer reads what is left, then Drained() says so.
  bool Finish();

  // Monitoring: bytes queued (published, not yet released) and free, reading the
  // consumer's position afresh (an impossible one is ignored); within [0, capacity].
  uint64_t FillBytes() const;
  uint64_t FreeBytes() const { return geometry_.capacity - FillBytes(); }
  uint64_t capacity() const { return geometry_.capacity; }
  uint32_t max_message() const { return geometry_.max_message; }
  bool broken() const { return broken_; }

 private:
  MessageRingProducer(RingHeader* header, RingGeometry geometry, uint64_t write, uint64_t read);
  // Re-reads the consumer's position; false (and broken_) if it is impossible.
  bool RefreshReadPosition();

  RingHeader* header_;
  RingGeometry geometry_;
  uint64_t reserved_;    // next write, private (includes reserved, unpublished messages)
  uint64_t published_;   // what the consumer may read
  uint64_t read_cache_;  // the consumer's position as last checked
  bool broken_ = false;
};

// A message as read: meta copied out of the region, payload a view into it, valid until
// the Release that frees it. The producer can still scribble on those bytes (it is the
// peer's memory too); bounds are guaranteed, content is the sender's business.
struct MessageView {
  MessageMeta meta;
  std::span<const std::byte> payload;
};

// The consuming end. One thread at a time.
class MessageRingConsumer {
 public:
  static absl::StatusOr<MessageRingConsumer> Attach(void* region, size_t size);

  // Next message after the ones already read; its space stays taken until Release.
  ReadStatus TryRead(MessageView* out);
  // Up to out.size() messages; returns how many, *status tells why it stopped early.
  size_t ReadBatch(std::span<MessageView> out, ReadStatus* status);
  // Frees everything read so far (views become invalid). Returns true when the producer
  // waits for space and the doorbell must be rung.
  bool Release();

  // Doorbell protocol, consumer side: sets consumer_sleeping, fences, looks at the ring
  // again. False: messages arrived meanwhile (flag withdrawn) — read them, do not sleep.
  // True: sleep on the eventfd; after waking call StopSleeping and read.
  bool PrepareToSleep();
  void StopSleeping();

  // True once the producer has finished the ring (Finish) and every message it published
  // has been read: the consumer may move to the producer's next ring. Release first if the
  // views of what was read are done with: the producer's side no longer matters then.
  bool Drained();

  // Monitoring, as on the producer (reads the producer's position afresh).
  uint64_t FillBytes() const;
  uint64_t FreeBytes() const { return geometry_.capacity - FillBytes(); }
  uint64_t capacity() const { return geometry_.capacity; }
  uint32_t max_message() const { return geometry_.max_message; }
  bool broken() const { return broken_; }

 private:
  MessageRingConsumer(RingHeader* header, RingGeometry geometry, uint64_t write, uint64_t read);
  bool RefreshWritePosition();

  RingHeader* header_;
  RingGeometry geometry_;
  uint64_t cursor_;       // next record to read, private
  uint64_t released_;     // what the producer may overwrite up to (+capacity)
  uint64_t write_cache_;  // the producer's position as last checked
  bool broken_ = false;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_MESSAGE_RING_H_
