// SPDX-License-Identifier: BSD-3-Clause
// PipeEngine: the worker lcore's part of pipes (DP-5, PIPE-1..5). It drains the
// applications' tx rings by priority (PriorityScheduler, with a starvation guard) within
// each pipe's threshold (TokenBucket), turns messages into DMPD data frames on the ports a
// PortChooser picks (k distinct ports for k copies), and delivers arriving data frames into
// the destination pipe's rx ring once (DedupWindow), reassembling messages larger than a
// frame. A frame for a pipe that is not open is counted and dropped (PIPE-4).
//
// Threads: every method but the counters and closed() runs on the worker. The main lcore
// asks for changes through Apply() (the daemon carries EngineCommands over a mailbox) and
// reads counters with relaxed loads. Pure: no DPDK, no descriptors, no clock reads — the
// frames go through DataPorts, the doorbells through a callback, time comes in as ns.
#ifndef DMPD_USERSPACE_PIPE_PIPE_ENGINE_H_
#define DMPD_USERSPACE_PIPE_PIPE_ENGINE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/data_frame.h"
#include "common/mac_address.h"
#include "common/reassembler.h"
#include "userspace/pipe/dedup_window.h"
#include "userspace/pipe/flow_control.h"
#include "userspace/pipe/message_ring.h"
#include "userspace/pipe/port_chooser.h"
#include "userspace/pipe/priority_scheduler.h"
#include "userspace/pipe/session_protocol.h"
#include "userspace/pipe/token_bucket.h"
#include "userspace/runtime/relaxed_counter.h"

namespace dmpd::pipe {

// The worker's frame I/O: the daemon implements it with mbufs and tx bursts, tests in memory.
class DataPorts {
 public:
  virtual ~DataPorts() = default;
  virtual size_t port_count() const = 0;
  virtual bool up(size_t port) const = 0;
  virtual MacAddress mac(size_t port) const = 0;
  // Room for one frame of `len` bytes on `port`, or an empty span when there is no buffer
  // (the engine counts it and tries no further frame on that port in this poll).
  virtual std::span<uint8_t> Begin(size_t port, size_t len) = 0;
  // The frame begun on `port` is complete: it goes out with the port's next burst.
  virtual void Commit(size_t port) = 0;
};

struct EngineOptions {
  uint16_t node = 0;
  uint32_t cluster_id = 0;
  uint16_t ethertype = 0;
  size_t mtu = 1500;           // bytes after the Ethernet header
  uint32_t max_pipes = 64;     // slots
  uint32_t dedup_keys = 4096;  // (src node, src pipe) pairs tracked for k-copy delivery
  uint32_t burst = 32;         // messages taken from one pipe per pick
  uint32_t picks_per_poll = 8;
  // Flow control between two nodes: at most this many of our data frames in flight to one
  // node (sent, not yet settled by its credit); 0 turns it off. Below the receiver's socket
  // ring (4096), so a receiving worker that falls behind holds its senders back instead of
  // dropping their frames.
  uint32_t window_frames = 1024;
  uint64_t window_bytes = 256 * 1024;  // and at most this many bytes (DMPD payload)
  uint32_t credit_every_frames = 128;     // the receiver credits after this many frames,
  uint64_t credit_every_ns = 1'000'000;   // or this long (the tail of a transfer)
  // Frames in flight this long with no credit settling them are lost (a path died, or the
  // node); a credit repeats the paths it heard from within this long.
  uint64_t credit_timeout_ns = 20'000'000;
  // Sooner when credits keep coming: frames unsettled while frames sent this much later on
  // another path were settled are lost (the receiver's rings differ by less than that).
  uint64_t credit_overtaken_ns = 5'000'000;
  // Priority in the network's queues, not only in ours: while a pipe of higher priority
  // has sent within yield_active_ns, a pipe keeps at most this much in flight to a node, so
  // that the frames ahead of the higher one's in the ports' rings and the receiver's stay
  // few (strict priority only orders what is still in the rings); 0: off. In flight counts
  // every frame to that node, and bytes are DMPD payload (message and data headers: 4 KiB
  // holds three frames of 1 KiB messages). Small on purpose: a lower pipe then sends a
  // window per credit (credit_every_ns while it yields), which also leaves the node's cores
  // to the higher one. A priority-7 ping's p99 beside a bulk pipe, over its p99 alone:
  // 128 frames / 64 KiB 3-9x, 8 / 8 KiB 1.1-1.3x, 4 / 4 KiB 0.9-1.2x (docs/pipes.md 5).
  uint32_t yield_window_frames = 4;
  uint64_t yield_window_bytes = 4 * 1024;
  uint64_t yield_active_ns = 100'000'000;
  // The epoch (1..255) of the first incarnation of each pipe id; each later open of the id
  // takes the next (dmpd_data_hdr.epoch: receivers restart that pipe's dedup window). The
  // daemon derives it from its start time, so that a restarted daemon's pipes most likely
  // differ from their incarnations before the restart.
  uint8_t first_epoch = 1;
};

// A pipe's shared memory, mapped by the daemon.
struct PipeRegion {
  void* tx = nullptr;  // application → daemon
  size_t tx_bytes = 0;
  void* rx = nullptr;  // daemon → application
  size_t rx_bytes = 0;
};

// The daemon's view of one slot; written by the worker, read by anyone.
struct SlotCounters {
  RelaxedCounter sent_messages, sent_bytes, sent_frames, received_messages, received_bytes;
  RelaxedCounter dropped_rx_full, dropped_no_route, dropped_too_large, dropped_no_buffer;
  RelaxedCounter degraded_copies, duplicates, out_of_order, rate_limited_ns;
  PipeCounters Snapshot() const;
  void Reset();  // worker: a slot opened again starts from zero
};

// Frames that reached no pipe, and the engine's own trouble.
#define DMPD_ENGINE_COUNTERS(X)                                                           \
  X(no_pipe, "data frames for a pipe that is not open (PIPE-4)")                          \
  X(bad_data, "data frames whose data header or segment header does not decode")          \
  X(reassembly_dropped, "segments the reassembler refused (limits, conflicts)")           \
  X(messages_reassembled, "messages rebuilt from segments")                               \
  X(tx_corrupt_ring, "records an application's tx ring could not give (ring broken)")     \
  X(window_stalls, "times a pipe waited for a node's credit (flow control)")               \
  X(yield_stalls, "times a pipe waited because a higher-priority pipe is sending")          \
  X(credit_timeouts, "times a full window wrote off frames no credit settled in time")     \
  X(frames_written_off, "frames in flight given up for lost (timeout or their port down)")  \
  X(credits_sent, "credit frames sent to senders")                                         \
  X(credits_received, "credit frames received from receivers")                             \
  X(credits_deferred, "credits held back because the destination pipe's ring was filling")  \
  X(stale_incarnation, "messages from a sending pipe's earlier incarnation, dropped")       \
  X(resizes, "pipes moved to rings of another size (PIPE-2)")                              \
  X(resize_failed, "resizes whose new rings did not attach (the pipe stays on its old ones)") \
  X(commands, "open, reconfigure, close and route changes applied")

struct EngineCounters {
#define DMPD_ENGINE_COUNTER_FIELD(name, doc) RelaxedCounter name;
  DMPD_ENGINE_COUNTERS(DMPD_ENGINE_COUNTER_FIELD)
#undef DMPD_ENGINE_COUNTER_FIELD
};

// Changes the main lcore asks for; plain data, carried over a mailbox to the worker.
struct EngineCommand {
  // kSetAllowance: config.rate_bytes_per_s is the feedback controller's allowance (PIPE-3),
  // 0 none; the pipe sends at the lower of it and its own threshold.
  // kResize: `region` holds the pipe's new rings (PIPE-2). The engine finishes the old rx
  // ring and delivers into the new one at once; it reads the old tx ring to its end (the
  // application finishes it) before it moves to the new one, then bumps resized_generation.
  enum class Op : uint8_t {
    kOpen,
    kReconfigure,
    kClose,
    kSetRoute,
    kClearRoute,
    kSetAllowance,
    kResize
  };
  Op op = Op::kOpen;
  uint32_t slot = 0;
  PipeConfig config;
  PipeRegion region;
  uint16_t route_node = 0;
  uint8_t route_ports = 0;
  std::array<MacAddress, kMaxRoutePorts> route_macs{};
};

class PipeEngine {
 public:
  // `ring_app(slot)` wakes the application of that slot (its rx doorbell). `chooser` picks
  // the ports of each message and must outlive the engine; null: HashPortChooser.
  static absl::StatusOr<std::unique_ptr<PipeEngine>> Create(const EngineOptions& options,
                                                            DataPorts& ports,
                                                            std::function<void(uint32_t)> ring_app,
                                                            PortChooser* chooser = nullptr);

  // Worker: a change from the main lcore. An open whose rings do not attach leaves the slot
  // closed (the daemon validated them before; counted).
  void Apply(const EngineCommand& command, uint64_t now_ns);

  // Worker, every poll: sends from the tx rings; returns messages taken.
  uint32_t PollTx(uint64_t now_ns);
  // Worker: one data frame received on local `port`, its DMPD header decoded (the worker's
  // classifier did that) and its payload.
  void OnDataFrame(size_t port, const FrameHeader& header, std::span<const uint8_t> payload,
                   uint64_t now_ns);
  // Worker, before sleeping: tells every tx ring's producer that we sleep (they ring the
  // worker's doorbell then). False when a ring has messages: do not sleep.
  bool PrepareToSleep();
  void StopSleeping();

  // Any thread.
  const SlotCounters& slot_counters(uint32_t slot) const { return slots_[slot].counters; }
  const EngineCounters& counters() const { return counters_; }
  // The generation of `slot` closed by the worker: the main lcore may unmap its region once
  // this reaches the generation it asked to close.
  uint64_t closed_generation(uint32_t slot) const {
    return slots_[slot].closed.load(std::memory_order_acquire);
  }
  // Resizes of `slot` finished by the worker: the main lcore may unmap the old region once
  // this reaches the generation it asked for (or the slot's close generation does).
  uint64_t resized_generation(uint32_t slot) const {
    return slots_[slot].resized.load(std::memory_order_acquire);
  }
  uint32_t max_pipes() const { return options_.max_pipes; }
  // The largest message payload a pipe can carry at this MTU (64 segments, the ring's limit).
  uint32_t max_message() const;

 private:
  struct Slot {
    bool open = false;
    PipeConfig config;
    std::optional<MessageRingConsumer> tx;  // what the application sends
    std::optional<MessageRingProducer> rx;  // what we deliver to it
    // During a resize: the new tx ring, read once the application has finished `tx` and
    // everything in it has been sent.
    std::optional<MessageRingConsumer> next_tx;
    std::optional<TokenBucket> bucket;  // the lower of its threshold and its allowance
    uint64_t allowance = 0;             // PIPE-3, bytes/s; 0: none
    uint64_t held_until_ns = 0;  // the bucket holds the ring back until then
    uint64_t next_sequence = 1;
    uint8_t epoch = 0;  // this incarnation's, in every data frame it sends
    // Read from the tx ring but held for a node's credit; the ring is not released while it
    // waits, so a blocked sender fills its ring and the application sees kRingFull.
    std::optional<MessageView> pending;
    SlotCounters counters;
    std::atomic<uint64_t> closed{0};   // generations closed so far
    std::atomic<uint64_t> resized{0};  // resizes finished so far
  };

  PipeEngine(const EngineOptions& options, DataPorts& ports, std::function<void(uint32_t)> ring_app,
             PortChooser* chooser, PriorityScheduler scheduler, DedupWindow dedup);
  void Open(const EngineCommand& c, uint64_t now_ns);
  void Close(uint32_t slot);
  void Resize(const EngineCommand& c);
  // Moves a resizing slot to its new tx ring once the old one is finished and sent.
  void FollowResize(uint32_t slot);
  // The bucket for the lower of the pipe's threshold and its allowance.
  void ApplyRate(Slot& s, uint64_t now_ns);
  uint32_t DrainPipe(uint32_t slot, uint64_t now_ns);
  // Flow control with one other node, both ways.
  struct Peer {
    Peer(uint32_t window_copies, uint32_t slots) : window(window_copies, slots) {}
    SendWindow window;     // our copies in flight to it
    CreditLedger ledger;   // its frames we took off the wire, for our credits to it
    int32_t last_slot = -1;  // the pipe its last message went to (credit waits for room)
  };
  Peer& PeerFor(uint16_t node);
  // Sends one message on the ports chosen for it (each copy counted on its own); false when
  // the destination's window has no room (nothing sent, try again later).
  bool SendMessage(uint32_t slot, const MessageView& m, uint64_t now_ns);
  // Whether `slot`'s next message fits the window to `p` (and the slot's share of it).
  bool WindowAllows(Peer& p, uint32_t slot, const FlowVolume& next, uint64_t now_ns,
                    bool yielding);
  // Whether a pipe of priority `priority` yields to a higher one that sent lately.
  bool Yields(uint8_t priority) const { return priority < yield_below_; }
  // Once a poll: the highest priority that sent within yield_active_ns (0: none).
  void RefreshYield(uint64_t now_ns);
  void FlushCredits(uint64_t now_ns);
  void OnCredit(const DataHeader& h, std::span<const uint8_t> payload);
  // One copy, segmented when larger than a frame; the frames it took, 0 when the port had
  // no buffer.
  size_t SendCopy(const PortChoice& to, const DataHeader& h, std::span<const uint8_t> payload,
                uint32_t message_id);
  void Deliver(const DataHeader& h, std::span<const uint8_t> payload, uint64_t now_ns);

  EngineOptions options_;
  DataPorts& ports_;
  std::function<void(uint32_t)> ring_app_;
  PriorityScheduler scheduler_;
  DedupWindow dedup_;
  std::unique_ptr<Slot[]> slots_;
  std::array<int32_t, 0x10000> slot_of_pipe_;  // pipe id → slot, -1: not open
  std::array<uint8_t, 0x10000> epoch_of_pipe_{};  // the last incarnation's epoch, 0: none
  absl::flat_hash_map<uint16_t, Route> routes_;
  absl::flat_hash_map<uint16_t, Peer> peers_;
  HashPortChooser default_chooser_;
  PortChooser* chooser_;  // the caller's, or default_chooser_
  std::vector<size_t> up_ports_;  // refreshed every poll
  std::vector<uint32_t> no_room_;  // this poll's picks that found no room (PutBack)
  Reassembler reassembler_;
  uint32_t message_id_ = 0;  // numbers this node's segmented messages
  std::vector<uint8_t> port_starved_;  // no buffer this poll
  std::vector<uint32_t> sequence_;     // DMPD header sequence, per local port
  std::vector<uint8_t> port_up_;       // as of the last poll: a port going down loses its frames
  std::array<uint64_t, kMaxPriority + 1> last_sent_ns_{};  // per priority, 0: never
  uint8_t yield_below_ = 0;  // pipes of lower priority than this yield (RefreshYield)
  EngineCounters counters_;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_PIPE_ENGINE_H_
