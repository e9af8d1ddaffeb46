// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/message_ring.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace dmpd::pipe {
namespace {

// The region is shared with another process: every access to a field the peer may write
// at the same time goes through an atomic_ref, so the compiler reads it exactly once.
template <typename T>
T Load(const T& field, std::memory_order order) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(order);
}
template <typename T>
void Store(T& field, T value, std::memory_order order) {
  std::atomic_ref<T>(field).store(value, order);
}
static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);
static_assert(std::atomic_ref<uint32_t>::is_always_lock_free);

constexpr uint64_t kMaxCapacity = uint64_t{1} << 40;

// A position the peer publishes is possible only if it is 8-aligned and lies in
// [low, high] (unsigned distances, so the wrap of the 64-bit counters is harmless).
bool PositionWithin(uint64_t position, uint64_t low, uint64_t high) {
  return (position & 7) == 0 && position - low <= high - low;
}

absl::StatusOr<RingGeometry> CheckHeader(void* region, size_t size, uint64_t* write,
                                         uint64_t* read) {
  if (region == nullptr || reinterpret_cast<uintptr_t>(region) % kRingAlignment != 0) {
    return absl::InvalidArgumentError("ring region must be 64-byte aligned");
  }
  if (size < sizeof(RingHeader)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring region of ", size, " bytes is smaller than its header"));
  }
  const auto* h = static_cast<const RingHeader*>(region);
  // Read each field once: the peer may change them under us.
  const uint64_t magic = Load(h->magic, std::memory_order_acquire);
  const uint32_t version = Load(h->version, std::memory_order_relaxed);
  const uint32_t header_size = Load(h->header_size, std::memory_order_relaxed);
  const uint64_t capacity = Load(h->capacity, std::memory_order_relaxed);
  const uint32_t max_message = Load(h->max_message, std::memory_order_relaxed);
  if (magic != kRingMagic) {
    return absl::FailedPreconditionError("not a dmpd message ring (bad magic)");
  }
  if (version != kRingVersion || header_size != sizeof(RingHeader)) {
    return absl::FailedPreconditionError(
        absl::StrCat("message ring version ", version, " header ", header_size,
                     " bytes; this build speaks version ", kRingVersion));
  }
  if (max_message > kMaxRingMessage || !std::has_single_bit(capacity) || capacity > kMaxCapacity ||
      capacity < MinRingCapacity(max_message) || capacity > size - sizeof(RingHeader)) {
    return absl::FailedPreconditionError(absl::StrCat("message ring geometry impossible: capacity ",
                                                      capacity, ", max message ", max_message,
                                                      ", region ", size, " bytes"));
  }
  const uint64_t w = Load(h->write_position, std::memory_order_acquire);
  const uint64_t r = Load(h->read_position, std::memory_order_acquire);
  if (!PositionWithin(w, r, r + capacity) || (r & 7) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("message ring positions impossible: write ", w, ", read ", r));
  }
  *write = w;
  *read = r;
  return RingGeometry{static_cast<std::byte*>(region) + sizeof(RingHeader), capacity, max_message};
}

}  // namespace

const char* PushStatusName(PushStatus s) {
  switch (s) {
    case PushStatus::kOk:
      return "ok";
    case PushStatus::kFull:
      return "full";
    case PushStatus::kTooLarge:
      return "too_large";
    case PushStatus::kCorrupt:
      return "corrupt";
  }
  return "?";
}

const char* ReadStatusName(ReadStatus s) {
  switch (s) {
    case ReadStatus::kOk:
      return "ok";
    case ReadStatus::kEmpty:
      return "empty";
    case ReadStatus::kCorrupt:
      return "corrupt";
  }
  return "?";
}

uint64_t ObserveRingFill(const void* region) {
  auto* h = static_cast<RingHeader*>(const_cast<void*>(region));
  const uint64_t w = Load(h->write_position, std::memory_order_acquire);
  const uint64_t r = Load(h->read_position, std::memory_order_acquire);
  const uint64_t capacity = Load(h->capacity, std::memory_order_relaxed);
  return w >= r && w - r <= capacity ? w - r : 0;
}

uint64_t MinRingCapacity(uint32_t max_message) {
  return std::bit_ceil(2 * RecordBytes(max_message));
}

absl::Status InitialiseMessageRing(void* region, size_t size, uint32_t max_message) {
  if (region == nullptr || reinterpret_cast<uintptr_t>(region) % kRingAlignment != 0) {
    return absl::InvalidArgumentError("ring region must be 64-byte aligned");
  }
  if (max_message > kMaxRingMessage) {
    return absl::InvalidArgumentError(
        absl::StrCat("max message ", max_message, " bytes exceeds ", kMaxRingMessage));
  }
  const uint64_t need = MinRingCapacity(max_message);
  if (size < RingRegionSize(need)) {
    return absl::InvalidArgumentError(absl::StrCat("ring region of ", size,
                                                   " bytes too small for messages of ", max_message,
                                                   " bytes: need at least ", RingRegionSize(need)));
  }
  const uint64_t capacity =
      std::min(std::bit_floor(uint64_t{size - sizeof(RingHeader)}), kMaxCapacity);
  auto* h = static_cast<RingHeader*>(region);
  std::memset(h, 0, sizeof(RingHeader));
  h->version = kRingVersion;
  h->header_size = sizeof(RingHeader);
  h->capacity = capacity;
  h->max_message = max_message;
  // The magic last, released: an attacher that sees it sees the rest.
  Store(h->magic, kRingMagic, std::memory_order_release);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------- producer

absl::StatusOr<MessageRingProducer> MessageRingProducer::Attach(void* region, size_t size) {
  uint64_t write = 0, read = 0;
  absl::StatusOr<RingGeometry> g = CheckHeader(region, size, &write, &read);
  if (!g.ok()) return g.status();
  return MessageRingProducer(static_cast<RingHeader*>(region), *g, write, read);
}

MessageRingProducer::MessageRingProducer(RingHeader* header, RingGeometry geometry, uint64_t write,
                                         uint64_t read)
    : header_(header),
      geometry_(geometry),
      reserved_(write),
      published_(write),
      read_cache_(read) {}

bool MessageRingProducer::RefreshReadPosition() {
  const uint64_t r = Load(header_->read_position, std::memory_order_acquire);
  // The consumer only moves forward and never past what we published.
  if (!PositionWithin(r, read_cache_, published_)) {
    broken_ = true;
    return false;
  }
  read_cache_ = r;
  return true;
}

std::byte* MessageRingProducer::TryReserve(const MessageMeta& meta, uint32_t length,
                                           PushStatus* status) {
  if (broken_) {
    *status = PushStatus::kCorrupt;
    return nullptr;
  }
  if (length > geometry_.max_message) {
    *status = PushStatus::kTooLarge;
    return nullptr;
  }
  const uint64_t record = RecordBytes(length);
  uint64_t offset = reserved_ & (geometry_.capacity - 1);
  const uint64_t to_end = geometry_.capacity - offset;
  // A record never straddles the end: the tail is skipped with a wrap marker.
  const uint64_t need = to_end < record ? to_end + record : record;
  if (reserved_ + need - read_cache_ > geometry_.capacity) {
    if (!RefreshReadPosition()) {
      *status = PushStatus::kCorrupt;
      return nullptr;
    }
    if (reserved_ + need - read_cache_ > geometry_.capacity) {
      *status = PushStatus::kFull;
      return nullptr;
    }
  }
  std::byte* data = geometry_.data;
  if (to_end < record) {
    // to_end is a non-zero multiple of 8, so the marker's 4 bytes fit.
    Store(*reinterpret_cast<uint32_t*>(data + offset), kWrapMarker, std::memory_order_relaxed);
    reserved_ += to_end;
    offset = 0;
  }
  // Field by field: a header built on the stack and copied costs a store-forwarding stall
  // (narrow stores read back as one 16-byte load), a third of a push.
  auto* rh = reinterpret_cast<RecordHeader*>(data + offset);
  rh->length = length;
  rh->type = meta.type;
  rh->flags = meta.flags;
  rh->sequence = meta.sequence;
  rh->node = meta.node;
  rh->pipe = meta.pipe;
  rh->reserved = 0;
  reserved_ += record;
  *status = PushStatus::kOk;
  return data + offset + sizeof(RecordHeader);
}

bool MessageRingProducer::Publish() {
  if (published_ == reserved_) return false;
  published_ = reserved_;
  Store(header_->write_position, published_, std::memory_order_release);
  // Dekker with PrepareToSleep: our store, a full fence, then their flag. Either the
  // consumer's re-check sees this position or we see its flag (docs/pipes.md).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (Load(header_->consumer_sleeping, std::memory_order_relaxed) == 0) return false;
  // One ring per sleep: whoever clears the flag rings.
  return std::atomic_ref<uint32_t>(header_->consumer_sleeping).exchange(0) != 0;
}

PushStatus MessageRingProducer::TryPush(const MessageMeta& meta, std::span<const std::byte> payload,
                                        bool* ring_doorbell) {
  if (payload.size() > geometry_.max_message) return PushStatus::kTooLarge;
  PushStatus status;
  std::byte* to = TryReserve(meta, static_cast<uint32_t>(payload.size()), &status);
  if (to == nullptr) return status;
  if (!payload.empty()) std::memcpy(to, payload.data(), payload.size());
  const bool ring = Publish();
  if (ring_doorbell != nullptr) *ring_doorbell = ring;
  return PushStatus::kOk;
}

size_t MessageRingProducer::TryPushBatch(std::span<const MessageMeta> metas,
                                         std::span<const std::span<const std::byte>> payloads,
                                         PushStatus* first_failure, bool* ring_doorbell) {
  const size_t n = std::min(metas.size(), payloads.size());
  *first_failure = PushStatus::kOk;
  size_t done = 0;
  for (; done < n; ++done) {
    const std::span<const std::byte> p = payloads[done];
    if (p.size() > geometry_.max_message) {
      *first_failure = PushStatus::kTooLarge;
      break;
    }
    PushStatus status;
    std::byte* to = TryReserve(metas[done], static_cast<uint32_t>(p.size()), &status);
    if (to == nullptr) {
      *first_failure = status;
      break;
    }
    if (!p.empty()) std::memcpy(to, p.data(), p.size());
  }
  const bool ring = Publish();
  if (ring_doorbell != nullptr) *ring_doorbell = ring;
  return done;
}

bool MessageRingProducer::PrepareToWaitForSpace(uint32_t length) {
  Store(header_->producer_waiting, uint32_t{1}, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint64_t record = RecordBytes(std::min(length, geometry_.max_message));
  // Worst case a wrap wastes up to one record: ask for room for two, as MinRingCapacity.
  if (RefreshReadPosition() && reserved_ + 2 * record - read_cache_ > geometry_.capacity) {
    return true;
  }
  StopWaiting();
  return false;
}

void MessageRingProducer::StopWaiting() {
  Store(header_->producer_waiting, uint32_t{0}, std::memory_order_relaxed);
}

bool MessageRingProducer::Finish() {
  published_ = reserved_;
  Store(header_->write_position, published_, std::memory_order_release);
  // After the last position, released: a consumer that sees the flag sees every message.
  Store(header_->producer_finished, uint32_t{1}, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (Load(header_->consumer_sleeping, std::memory_order_relaxed) == 0) return false;
  return std::atomic_ref<uint32_t>(header_->consumer_sleeping).exchange(0) != 0;
}

uint64_t MessageRingProducer::FillBytes() const {
  const uint64_t r = Load(header_->read_position, std::memory_order_acquire);
  return published_ - (PositionWithin(r, read_cache_, published_) ? r : read_cache_);
}

// ---------------------------------------------------------------------------- consumer

absl::StatusOr<MessageRingConsumer> MessageRingConsumer::Attach(void* region, size_t size) {
  uint64_t write = 0, read = 0;
  absl::StatusOr<RingGeometry> g = CheckHeader(region, size, &write, &read);
  if (!g.ok()) return g.status();
  return MessageRingConsumer(static_cast<RingHeader*>(region), *g, write, read);
}

MessageRingConsumer::MessageRingConsumer(RingHeader* header, RingGeometry geometry, uint64_t write,
                                         uint64_t read)
    : header_(header), geometry_(geometry), cursor_(read), released_(read), write_cache_(write) {}

bool MessageRingConsumer::RefreshWritePosition() {
  const uint64_t w = Load(header_->write_position, std::memory_order_acquire);
  // The producer only moves forward and never more than a capacity past what we released.
  if (!PositionWithin(w, write_cache_, released_ + geometry_.capacity)) {
    broken_ = true;
    return false;
  }
  write_cache_ = w;
  return true;
}

ReadStatus MessageRingConsumer::TryRead(MessageView* out) {
  if (broken_) return ReadStatus::kCorrupt;
  if (cursor_ == write_cache_) {
    if (!RefreshWritePosition()) return ReadStatus::kCorrupt;
    if (cursor_ == write_cache_) return ReadStatus::kEmpty;
  }
  // From here: cursor_ < write_cache_ <= released_ + capacity, all 8-aligned, so at least
  // 8 bytes are published at `offset` and offset + 8 <= capacity.
  const std::byte* data = geometry_.data;
  uint64_t available = write_cache_ - cursor_;
  uint64_t offset = cursor_ & (geometry_.capacity - 1);
  const auto* rh = reinterpret_cast<const RecordHeader*>(data + offset);
  uint32_t length = Load(rh->length, std::memory_order_relaxed);
  if (length == kWrapMarker) {
    const uint64_t to_end = geometry_.capacity - offset;
    if (to_end >= available) {  // a marker is always followed by a record
      broken_ = true;
      return ReadStatus::kCorrupt;
    }
    cursor_ += to_end;
    available -= to_end;
    offset = 0;
    rh = reinterpret_cast<const RecordHeader*>(data);
    length = Load(rh->length, std::memory_order_relaxed);
  }
  if (length > geometry_.max_message) {
    broken_ = true;
    return ReadStatus::kCorrupt;
  }
  const uint64_t record = RecordBytes(length);
  if (record > available || record > geometry_.capacity - offset) {
    broken_ = true;
    return ReadStatus::kCorrupt;
  }
  out->meta.type = Load(rh->type, std::memory_order_relaxed);
  out->meta.flags = Load(rh->flags, std::memory_order_relaxed);
  out->meta.sequence = Load(rh->sequence, std::memory_order_relaxed);
  out->meta.node = Load(rh->node, std::memory_order_relaxed);
  out->meta.pipe = Load(rh->pipe, std::memory_order_relaxed);
  out->payload = {data + offset + sizeof(RecordHeader), length};
  cursor_ += record;
  return ReadStatus::kOk;
}

size_t MessageRingConsumer::ReadBatch(std::span<MessageView> out, ReadStatus* status) {
  *status = ReadStatus::kOk;
  size_t n = 0;
  for (; n < out.size(); ++n) {
    const ReadStatus s = TryRead(&out[n]);
    if (s != ReadStatus::kOk) {
      *status = s;
      break;
    }
  }
  return n;
}

bool MessageRingConsumer::Release() {
  if (released_ == cursor_) return false;
  released_ = cursor_;
  Store(header_->read_position, released_, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (Load(header_->producer_waiting, std::memory_order_relaxed) == 0) return false;
  return std::atomic_ref<uint32_t>(header_->producer_waiting).exchange(0) != 0;
}

bool MessageRingConsumer::PrepareToSleep() {
  if (cursor_ != write_cache_) return false;  // unread messages already seen
  Store(header_->consumer_sleeping, uint32_t{1}, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (RefreshWritePosition() && cursor_ == write_cache_) return true;
  StopSleeping();
  return false;
}

void MessageRingConsumer::StopSleeping() {
  Store(header_->consumer_sleeping, uint32_t{0}, std::memory_order_relaxed);
}

bool MessageRingConsumer::Drained() {
  if (Load(header_->producer_finished, std::memory_order_acquire) == 0) return false;
  // The flag was stored after the final position: this read sees that position.
  return RefreshWritePosition() && cursor_ == write_cache_;
}

uint64_t MessageRingConsumer::FillBytes() const {
  const uint64_t w = Load(header_->write_position, std::memory_order_acquire);
  return (PositionWithin(w, write_cache_, released_ + geometry_.capacity) ? w : write_cache_) -
         released_;
}

}  // namespace dmpd::pipe
