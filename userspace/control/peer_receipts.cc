// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/control/peer_receipts.h"

#include "common/protocol_limits.h"

namespace dmpd {

void PeerReceipts::Record(uint16_t node, uint16_t port, uint32_t sequence) {
  if (port >= kMaxNodePorts) {  // no node has that port: nothing would ever ask for it
    ++refused_;
    return;
  }
  auto it = senders_.find(Key(node, port));
  if (it == senders_.end()) {
    if (senders_.size() >= max_senders_) {
      ++refused_;
      return;
    }
    senders_.emplace(Key(node, port), Sender{SequenceWindow(sequence), Receipt{1, 1}});
    return;
  }
  Sender& s = it->second;
  const SequenceWindow::Result r = s.window.Offer(sequence);
  switch (r.verdict) {
    case SequenceWindow::Verdict::kNew:
      ++s.receipt.received;
      s.receipt.numbered += r.advanced;
      break;
    case SequenceWindow::Verdict::kDuplicate:
      break;  // the same frame heard on another local port
    case SequenceWindow::Verdict::kTooOld:
      // Frames are not reordered by 64 on one LAN: the sender started its numbering over.
      ++restarts_;
      s = Sender{SequenceWindow(sequence), Receipt{1, 1}};
      break;
  }
}

const Receipt* PeerReceipts::Find(uint16_t node, uint16_t port) const {
  auto it = senders_.find(Key(node, port));
  return it == senders_.end() ? nullptr : &it->second.receipt;
}

void PeerReceipts::ForNode(uint16_t node,
                           const std::function<void(uint16_t port, const Receipt&)>& fn) const {
  // Ports are few: probing the indices beats scanning every sender.
  for (uint16_t port = 0; port < kMaxNodePorts; ++port) {
    if (const Receipt* r = Find(node, port)) fn(port, *r);
  }
}

}  // namespace dmpd
