// SPDX-License-Identifier: BSD-3-Clause
// Two PipeEngines without a daemon: a pipe's rings in heap memory with the application's
// ends attached (AppPipe), ports that keep frames in memory (MemoryPorts), and a node that
// owns an engine over any such ports (EngineNode). Shared by pipe_engine_test (correctness)
// and pipe_engine_benchmark (the worker's cost per message); no GoogleTest here, so a
// set-up failure aborts with a message (it is a bug of the test, not a case under test).
#ifndef DMPD_TESTS_PIPE_ENGINE_TEST_SUPPORT_H_
#define DMPD_TESTS_PIPE_ENGINE_TEST_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "userspace/pipe/message_ring.h"
#include "userspace/pipe/pipe_engine.h"
#include "userspace/pipe/session_protocol.h"

namespace dmpd::pipe::test_support {

inline constexpr uint32_t kCluster = 7;
inline constexpr uint16_t kEthertype = 0x88B5;

inline void CheckOrDie(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "engine_test_support: %s\n", what);
    std::abort();
  }
}

// Ports whose frames land in a queue; the test hands them to the other engine. A frame's
// buffer is reused once given back with Recycle (so a steady loop allocates nothing).
class MemoryPorts final : public DataPorts {
 public:
  MemoryPorts(uint8_t node, size_t ports) : up_(ports, true), node_(node) {}
  size_t port_count() const override { return up_.size(); }
  bool up(size_t port) const override { return up_[port]; }
  MacAddress mac(size_t port) const override {
    return {0x02, 0, 0, 0, node_, static_cast<uint8_t>(port)};
  }
  std::span<uint8_t> Begin(size_t port, size_t len) override {
    if (no_buffers_) return {};
    if (!spare_.empty()) {
      pending_ = std::move(spare_.back());
      spare_.pop_back();
    }
    pending_.assign(len, 0);
    pending_port_ = port;
    return pending_;
  }
  void Commit(size_t port) override { sent_.push_back({port, std::move(pending_)}); }

  struct Sent {
    size_t port;
    std::vector<uint8_t> frame;
  };
  std::deque<Sent>& sent() { return sent_; }
  void Recycle(std::vector<uint8_t>&& frame) { spare_.push_back(std::move(frame)); }
  void set_up(size_t port, bool up) { up_[port] = up; }
  void set_no_buffers(bool v) { no_buffers_ = v; }

 private:
  std::vector<bool> up_;
  uint8_t node_;
  bool no_buffers_ = false;
  std::vector<uint8_t> pending_;
  size_t pending_port_ = 0;
  std::deque<Sent> sent_;
  std::vector<std::vector<uint8_t>> spare_;
};

// One pipe's two rings in aligned heap memory, with the application's ends attached.
struct AppPipe {
  explicit AppPipe(uint64_t buffer = 1 << 20) {
    const RegionLayout l = LayoutFor(buffer, kMaxRingMessage);
    bytes = l.total_bytes;
    memory.reset(static_cast<std::byte*>(std::aligned_alloc(4096, bytes)));
    CheckOrDie(memory != nullptr, "aligned_alloc of a pipe region failed");
    region.tx = memory.get();
    region.tx_bytes = l.ring_region_bytes;
    region.rx = memory.get() + l.rx_offset;
    region.rx_bytes = l.ring_region_bytes;
    CheckOrDie(InitialiseMessageRing(region.tx, region.tx_bytes).ok(), "tx ring init");
    CheckOrDie(InitialiseMessageRing(region.rx, region.rx_bytes).ok(), "rx ring init");
    auto p = MessageRingProducer::Attach(region.tx, region.tx_bytes);
    auto c = MessageRingConsumer::Attach(region.rx, region.rx_bytes);
    CheckOrDie(p.ok() && c.ok(), "attaching the application's ends");
    tx.emplace(*std::move(p));
    rx.emplace(*std::move(c));
  }
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> memory;
  size_t bytes = 0;
  PipeRegion region;
  std::optional<MessageRingProducer> tx;
  std::optional<MessageRingConsumer> rx;
};

// A node: an engine over ports of type Ports (constructed from (node, port count)), with
// a simulated clock and the slots whose application it rang.
template <typename Ports>
struct EngineNode {
  EngineNode(uint16_t number, size_t port_count,
             uint32_t window_frames = EngineOptions{}.window_frames, uint32_t max_pipes = 8)
      : ports(static_cast<uint8_t>(number), port_count) {
    EngineOptions o;
    o.window_frames = window_frames;
    o.node = number;
    o.cluster_id = kCluster;
    o.ethertype = kEthertype;
    o.max_pipes = max_pipes;
    auto e = PipeEngine::Create(o, this->ports, [this](uint32_t slot) { rung.push_back(slot); });
    CheckOrDie(e.ok(), "PipeEngine::Create");
    engine = *std::move(e);
  }
  void Open(uint32_t slot, uint16_t pipe, AppPipe& app, uint8_t copies = 1, uint64_t rate = 0,
            uint8_t priority = 0) {
    EngineCommand c;
    c.op = EngineCommand::Op::kOpen;
    c.slot = slot;
    c.config.pipe = pipe;
    c.config.priority = priority;
    c.config.copies = copies;
    c.config.rate_bytes_per_s = rate;
    c.config.burst_bytes = rate;
    c.region = app.region;
    engine->Apply(c, now);
  }
  // Moves the pipe in `slot` to the rings of `app` (PIPE-2: a larger buffer).
  void Resize(uint32_t slot, AppPipe& app) {
    EngineCommand c;
    c.op = EngineCommand::Op::kResize;
    c.slot = slot;
    c.config.buffer_bytes = app.region.tx_bytes - sizeof(RingHeader);
    c.region = app.region;
    engine->Apply(c, now);
  }
  template <typename OtherPorts>
  void RouteTo(const EngineNode<OtherPorts>& other) {
    EngineCommand c;
    c.op = EngineCommand::Op::kSetRoute;
    c.route_node = static_cast<uint16_t>(other.ports.mac(0)[4]);
    c.route_ports = static_cast<uint8_t>(other.ports.port_count());
    for (size_t p = 0; p < other.ports.port_count(); ++p) c.route_macs[p] = other.ports.mac(p);
    engine->Apply(c, now);
  }
  Ports ports;
  std::unique_ptr<PipeEngine> engine;
  std::vector<uint32_t> rung;
  uint64_t now = 1'000'000;
};

inline MessageMeta To(uint16_t node, uint16_t pipe, uint16_t type = 5) {
  MessageMeta m;
  m.node = node;
  m.pipe = pipe;
  m.type = type;
  return m;
}

}  // namespace dmpd::pipe::test_support

#endif  // DMPD_TESTS_PIPE_ENGINE_TEST_SUPPORT_H_
