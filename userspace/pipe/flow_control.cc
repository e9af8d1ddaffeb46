// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/flow_control.h"

#include <algorithm>

namespace dmpd::pipe {
namespace {

// Sequences wrap: `a` is at or before `b` when b is less than half the space ahead.
bool AtOrBefore(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a) >= 0; }

}  // namespace

// --- SendWindow ----------------------------------------------------------------------------

SendWindow::Path* SendWindow::PathFor(uint16_t port, const MacAddress& to) {
  for (size_t i = 0; i < path_count_; ++i) {
    if (paths_[i].port == port && paths_[i].to == to) return &paths_[i];
  }
  Path* p = path_count_ < paths_.size() ? &paths_[path_count_++] : nullptr;
  // Full (routes changed over time): a path with nothing in flight is taken over.
  for (size_t i = 0; p == nullptr && i < path_count_; ++i) {
    if (paths_[i].head == kNone) p = &paths_[i];
  }
  if (p != nullptr) *p = Path{.port = port, .to = to};
  return p;
}

void SendWindow::Allocate() {
  copies_.resize(capacity_);
  for (uint32_t i = 0; i < capacity_; ++i) copies_[i].next = i + 1 < capacity_ ? i + 1 : kNone;
  free_ = capacity_ > 0 ? 0 : kNone;
  shares_.resize(slots_);
}

void SendWindow::OnSent(uint32_t slot, uint16_t port, const MacAddress& to,
                        uint32_t last_sequence, const FlowVolume& v, uint64_t now_ns) {
  if (copies_.empty()) Allocate();
  // The window admits no more copies than the pool holds, and a credit names no more paths
  // than the table holds; a copy beyond either goes uncounted rather than block the pipe.
  Path* path = free_ == kNone || slot >= slots_ ? nullptr : PathFor(port, to);
  if (path == nullptr) return;
  Share& share = shares_[slot];
  if (share.frames == 0 && !share.waiting) ++sharers_;
  share.frames += v.frames;
  share.waiting = false;
  const uint32_t i = free_;
  Copy& c = copies_[i];
  free_ = c.next;
  c = Copy{.last_sequence = last_sequence,
           .next = kNone,
           .slot = slot,
           .volume = v,
           .sent_ns = now_ns};
  if (path->tail == kNone) {
    path->head = i;
  } else {
    copies_[path->tail].next = i;
  }
  path->tail = i;
  in_flight_.frames += v.frames;
  in_flight_.bytes += v.bytes;
}

void SendWindow::PopHead(Path& path) {
  const uint32_t i = path.head;
  Copy& c = copies_[i];
  in_flight_.frames -= c.volume.frames;
  in_flight_.bytes -= c.volume.bytes;
  Share& share = shares_[c.slot];
  share.frames -= c.volume.frames;
  if (share.frames == 0 && !share.waiting) --sharers_;
  path.head = c.next;
  if (path.head == kNone) path.tail = kNone;
  c.next = free_;
  free_ = i;
}

bool SendWindow::WithinShare(uint32_t slot, uint64_t frames, uint64_t window_frames) const {
  if (shares_.empty() || slot >= slots_) return true;
  const Share& share = shares_[slot];
  // It is one of the sharers (it has frames in flight); alone, or below half the window
  // (room for all), shares do not bind.
  if (share.frames == 0 || sharers_ <= 1 || in_flight_.frames + frames <= window_frames / 2) {
    return true;
  }
  return share.frames + frames <= window_frames / sharers_;
}

void SendWindow::Waiting(uint32_t slot) {
  if (copies_.empty()) Allocate();
  if (slot >= slots_ || shares_[slot].waiting) return;
  if (shares_[slot].frames == 0) ++sharers_;
  shares_[slot].waiting = true;
}

void SendWindow::DoneWaiting(uint32_t slot) {
  if (shares_.empty() || slot >= slots_ || !shares_[slot].waiting) return;
  shares_[slot].waiting = false;
  if (shares_[slot].frames == 0) --sharers_;
}

void SendWindow::Settle(const CreditEntry& e) {
  for (size_t i = 0; i < path_count_; ++i) {
    Path& path = paths_[i];
    if (path.port != e.sender_port || path.to != e.receiver_mac) continue;
    while (path.head != kNone && AtOrBefore(copies_[path.head].last_sequence, e.sequence)) {
      settled_sent_ns_ = std::max(settled_sent_ns_, copies_[path.head].sent_ns);
      PopHead(path);
    }
    return;
  }
}

uint64_t SendWindow::WriteOff(Path& path, uint64_t cutoff_ns) {
  const uint64_t before = in_flight_.frames;
  while (path.head != kNone && copies_[path.head].sent_ns < cutoff_ns) PopHead(path);
  return before - in_flight_.frames;
}

uint64_t SendWindow::WriteOffSentBefore(uint64_t cutoff_ns) {
  uint64_t frames = 0;
  for (size_t i = 0; i < path_count_; ++i) frames += WriteOff(paths_[i], cutoff_ns);
  return frames;
}

uint64_t SendWindow::WriteOffPort(uint16_t port) {
  uint64_t frames = 0;
  for (size_t i = 0; i < path_count_; ++i) {
    if (paths_[i].port == port) frames += WriteOff(paths_[i], UINT64_MAX);
  }
  return frames;
}

// --- CreditLedger --------------------------------------------------------------------------

void CreditLedger::OnFrame(uint16_t sender_port, uint16_t port, const MacAddress& port_mac,
                           uint32_t sequence, uint64_t now_ns) {
  ++frames_;
  auto matches = [&](const Path& p) { return p.sender_port == sender_port && p.port == port; };
  size_t i = last_hit_;
  if (i >= path_count_ || !matches(paths_[i])) {
    i = 0;
    while (i < path_count_ && !matches(paths_[i])) ++i;
    if (i == path_count_) {
      if (path_count_ < paths_.size()) {
        ++path_count_;
      } else {  // full (forged sender ports?): the path heard from least recently goes
        i = static_cast<size_t>(
            std::min_element(paths_.begin(), paths_.end(),
                             [](const Path& a, const Path& b) { return a.seen_ns < b.seen_ns; }) -
            paths_.begin());
      }
      paths_[i] = Path{.sender_port = sender_port, .port = port, .port_mac = port_mac};
    }
    last_hit_ = i;
  }
  // The last frame, not the highest: a sender that restarted numbers from 0 again.
  paths_[i].sequence = sequence;
  paths_[i].seen_ns = now_ns;
}

bool CreditLedger::Due(uint64_t now_ns, uint64_t every_frames, uint64_t every_ns) const {
  return frames_ > 0 && (frames_ >= every_frames || now_ns - credited_ns_ >= every_ns);
}

size_t CreditLedger::Entries(uint64_t now_ns, uint64_t fresh_ns, std::span<CreditEntry> out) const {
  size_t n = 0;
  for (size_t i = 0; i < path_count_ && n < out.size(); ++i) {
    const Path& p = paths_[i];
    if (now_ns - p.seen_ns > fresh_ns) continue;
    out[n++] = CreditEntry{.sender_port = p.sender_port, .receiver_mac = p.port_mac,
                           .sequence = p.sequence};
  }
  return n;
}

void CreditLedger::Credited(uint64_t now_ns) {
  frames_ = 0;
  credited_ns_ = now_ns;
}

}  // namespace dmpd::pipe
