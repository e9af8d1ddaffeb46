// SPDX-License-Identifier: BSD-3-Clause
// EngineMailbox: the main lcore's changes (open, reconfigure, close, routes) on their way to
// the worker that owns the PipeEngine, so that the engine's state has one writer and the
// worker takes no lock. A MessageRing in private memory; one poster, one drainer.
#ifndef DMPD_USERSPACE_PIPE_ENGINE_MAILBOX_H_
#define DMPD_USERSPACE_PIPE_ENGINE_MAILBOX_H_

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>

#include "absl/status/statusor.h"
#include "userspace/pipe/message_ring.h"
#include "userspace/pipe/pipe_engine.h"

namespace dmpd::pipe {

static_assert(std::is_trivially_copyable_v<EngineCommand>, "commands are copied as bytes");

class EngineMailbox {
 public:
  static absl::StatusOr<std::unique_ptr<EngineMailbox>> Create(size_t capacity_bytes = 256 << 10) {
    std::unique_ptr<EngineMailbox> m(new EngineMailbox());
    const size_t size = RingRegionSize(capacity_bytes);
    m->memory_.reset(static_cast<std::byte*>(std::aligned_alloc(kRingAlignment, size)));
    if (!m->memory_) return absl::ResourceExhaustedError("mailbox memory");
    if (absl::Status s = InitialiseMessageRing(m->memory_.get(), size, sizeof(EngineCommand));
        !s.ok()) {
      return s;
    }
    absl::StatusOr<MessageRingProducer> p = MessageRingProducer::Attach(m->memory_.get(), size);
    absl::StatusOr<MessageRingConsumer> c = MessageRingConsumer::Attach(m->memory_.get(), size);
    if (!p.ok()) return p.status();
    if (!c.ok()) return c.status();
    m->poster_.emplace(*std::move(p));
    m->drainer_.emplace(*std::move(c));
    return m;
  }

  // Main lcore. False when the mailbox is full (the worker is not draining).
  bool Post(const EngineCommand& c) {
    return poster_->TryPush({}, std::as_bytes(std::span(&c, 1))) == PushStatus::kOk;
  }

  // Worker: hands every posted command to `fn`, oldest first.
  template <typename Fn>
  size_t Drain(Fn&& fn) {
    size_t n = 0;
    MessageView v;
    while (drainer_->TryRead(&v) == ReadStatus::kOk) {
      if (v.payload.size() != sizeof(EngineCommand)) continue;  // cannot happen: we wrote it
      EngineCommand c;
      std::memcpy(&c, v.payload.data(), sizeof(c));
      fn(c);
      ++n;
    }
    if (n > 0) drainer_->Release();
    return n;
  }

 private:
  EngineMailbox() = default;
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> memory_;
  std::optional<MessageRingProducer> poster_;
  std::optional<MessageRingConsumer> drainer_;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_ENGINE_MAILBOX_H_
