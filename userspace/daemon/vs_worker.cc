// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/vs_worker.h"

namespace dmpd {
namespace {

std::span<uint8_t> FrameOf(rte_mbuf* m) {
  // The PMD delivers each frame in one segment (XDP has no multi-buffer here).
  return {rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m)};
}

// Connections timed out per poll at most: keeps a poll short after a flood's entries
// all come due together; the rest go in the next polls.
constexpr size_t kExpirePerPoll = 256;

}  // namespace

VsWorker::~VsWorker() {
  for (size_t i = 0; i < n_held_; ++i) rte_pktmbuf_free(held_[i].m);
}

void VsWorker::OnFrame(rte_mbuf* m, uint64_t now_ns) {
  uint32_t port = 0, next_hop = 0;
  switch (forwarder_->Process(FrameOf(m), now_ns, &port, &next_hop)) {
    case vs::FrameVerdict::kForward:
      ports_->Send(port, m);
      return;
    case vs::FrameVerdict::kUnresolved:
      wants_.store(true, std::memory_order_relaxed);
      if (n_held_ == kMaxHeld) {
        ++hold_.hold_full;
        break;
      }
      held_[n_held_++] = Held{m, next_hop, now_ns + hold_ns_};
      ++hold_.held;
      return;
    case vs::FrameVerdict::kNotOurs:  // steered here but no service (a map update racing)
    case vs::FrameVerdict::kDrop:     // counted by the forwarder
      break;
  }
  rte_pktmbuf_free(m);
}

void VsWorker::Poll(uint64_t now_ns) {
  now_ns_ = now_ns;
  forwarder_->nat().Expire(now_ns, kExpirePerPoll);
  size_t kept = 0;
  for (size_t i = 0; i < n_held_; ++i) {
    if (held_[i].deadline_ns <= now_ns) {
      ++hold_.held_expired;
      rte_pktmbuf_free(held_[i].m);
    } else {
      held_[kept++] = held_[i];
    }
  }
  n_held_ = kept;
}

bool VsWorker::SetNextHop(uint32_t addr, const vs::NextHopEntry& entry) {
  if (!forwarder_->SetNextHop(addr, entry, now_ns_)) return false;
  size_t kept = 0;
  for (size_t i = 0; i < n_held_; ++i) {
    uint32_t port = 0;
    if (held_[i].next_hop == addr &&
        forwarder_->Address(FrameOf(held_[i].m), addr, now_ns_, &port)) {
      ++hold_.held_sent;
      ports_->Send(port, held_[i].m);
    } else {
      held_[kept++] = held_[i];
    }
  }
  n_held_ = kept;
  return true;
}

}  // namespace dmpd
