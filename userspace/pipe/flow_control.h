// SPDX-License-Identifier: BSD-3-Clause
// Flow control between the pipe engines of two nodes (docs/pipes.md, "Flow control"); the
// engine keeps one of each per peer node.
//
// SendWindow, the sender's side: the copies of messages it has in flight to the node. Each
// copy is filed under its path, our port and the node's port (its MAC), with the DMPD
// header sequence of its last frame (per our port, so increasing along a path). One path
// delivers in order, so a credit naming the last frame the receiver took off a path settles
// every copy on it up to that frame: arrived, or lost on the way. Frames lost among
// delivered ones therefore leave the window at the next credit instead of shrinking it for
// good. Copies that no credit settles (a path that died, the receiver gone) are written off
// once copies sent well after them on other paths have been settled, once they are older
// than the engine's timeout, or at once when our port goes down. While several pipes send
// to the node and the window is more than half full, each may hold only its share of it: a
// pipe whose copies go down a dead path then cannot take the whole window, the others keep
// copies in flight, and their credits show the dead path's copies overtaken.
//
// CreditLedger, the receiver's side: the last frame it took off each path from the node,
// and when a credit is due.
//
// Pure: no clock reads; nothing allocated after a window's first copy.
#ifndef DMPD_USERSPACE_PIPE_FLOW_CONTROL_H_
#define DMPD_USERSPACE_PIPE_FLOW_CONTROL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/data_frame.h"
#include "common/mac_address.h"

namespace dmpd::pipe {

// Frames and bytes (DMPD payload: data headers and messages), counted alike on both sides.
struct FlowVolume {
  uint64_t frames = 0;
  uint64_t bytes = 0;
};

class SendWindow {
 public:
  // Room for `capacity` copies in flight (a window admits at most its frame limit of them,
  // or the copies of one message larger than the whole window) from pipes in slots below
  // `slots`.
  SendWindow(uint32_t capacity, uint32_t slots) : capacity_(capacity), slots_(slots) {}

  const FlowVolume& in_flight() const { return in_flight_; }
  // When the newest copy a credit settled was sent (0: none yet): copies sent well before
  // it on other paths had time to arrive too.
  uint64_t settled_sent_ns() const { return settled_sent_ns_; }
  // A copy of `slot`'s went out on our `port` to the node's port `to`; `last_sequence` is
  // the DMPD header sequence of its last frame.
  void OnSent(uint32_t slot, uint16_t port, const MacAddress& to, uint32_t last_sequence,
              const FlowVolume& v, uint64_t now_ns);

  // Whether `slot` may add `frames` within its share of `window_frames`: once the window is
  // more than half full, the window divided among the pipes with copies in flight or
  // waiting for room. A pipe with nothing in flight always may (the window may still not).
  bool WithinShare(uint32_t slot, uint64_t frames, uint64_t window_frames) const;
  // `slot` found no room: it counts among the sharers until DoneWaiting or its next copy.
  void Waiting(uint32_t slot);
  // The message `slot` held went after all (or was dropped, or the pipe closed).
  void DoneWaiting(uint32_t slot);
  // One entry of a credit from the node: settles that path's copies up to its sequence.
  void Settle(const CreditEntry& e);
  // Copies sent before `cutoff_ns` that no credit settled: lost; returns their frames.
  uint64_t WriteOffSentBefore(uint64_t cutoff_ns);
  // Every copy sent on our `port` (it went down); returns their frames.
  uint64_t WriteOffPort(uint16_t port);

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Copy {
    uint32_t last_sequence = 0;
    uint32_t next = kNone;  // the path's next copy, or the free list's
    uint32_t slot = 0;
    FlowVolume volume;
    uint64_t sent_ns = 0;
  };
  struct Path {  // copies in the order sent
    uint16_t port = 0;
    MacAddress to{};
    uint32_t head = kNone;
    uint32_t tail = kNone;
  };
  struct Share {
    uint64_t frames = 0;  // in flight
    bool waiting = false;
  };
  // The path's list, made when new; null when the table is full of paths with copies.
  Path* PathFor(uint16_t port, const MacAddress& to);
  void Allocate();
  void PopHead(Path& path);
  uint64_t WriteOff(Path& path, uint64_t cutoff_ns);

  uint32_t capacity_;
  uint32_t slots_;
  std::vector<Copy> copies_;    // a pool, allocated at the first use
  std::vector<Share> shares_;   // per slot, allocated with the pool
  uint32_t sharers_ = 0;        // slots with frames in flight or waiting
  uint32_t free_ = kNone;
  // As many paths as a credit can name.
  std::array<Path, kMaxCreditEntries> paths_{};
  size_t path_count_ = 0;
  FlowVolume in_flight_;
  uint64_t settled_sent_ns_ = 0;
};

class CreditLedger {
 public:
  // A data frame from the node, sent from its port `sender_port` as DMPD header sequence
  // `sequence`, taken off our port `port` (MAC `port_mac`).
  void OnFrame(uint16_t sender_port, uint16_t port, const MacAddress& port_mac, uint32_t sequence,
               uint64_t now_ns);
  // Frames came since the last credit, and either `every_frames` of them or `every_ns`
  // passed since that credit (the tail of a transfer).
  bool Due(uint64_t now_ns, uint64_t every_frames, uint64_t every_ns) const;
  // A credit's entries: every path a frame came on within `fresh_ns` (a credit lost on the
  // way is thus repeated; a sender that restarted its sequences is soon forgotten).
  size_t Entries(uint64_t now_ns, uint64_t fresh_ns, std::span<CreditEntry> out) const;
  // The credit went out.
  void Credited(uint64_t now_ns);

 private:
  struct Path {
    uint16_t sender_port = 0;
    uint16_t port = 0;
    MacAddress port_mac{};
    uint32_t sequence = 0;
    uint64_t seen_ns = 0;
  };
  std::array<Path, kMaxCreditEntries> paths_{};
  size_t path_count_ = 0;
  size_t last_hit_ = 0;
  uint64_t frames_ = 0;  // since the last credit
  uint64_t credited_ns_ = 0;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_FLOW_CONTROL_H_
