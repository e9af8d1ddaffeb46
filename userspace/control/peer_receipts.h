// SPDX-License-Identifier: BSD-3-Clause
// PeerReceipts: how many of each peer port's control frames this node received, for the
// loss ratio of eq. (2) (MON-6). Every control frame carries its sender port's sequence
// number, so the receiver knows both sides of the ratio: `numbered` is how far that
// sequence advanced since the first frame heard (T_send, the frames the port sent to the
// cluster in that span) and `received` how many distinct ones arrived (T_recv). On one LAN
// a broadcast frame reaches every local port: it is counted once, whichever port heard it.
//
// Bounded: at most `max_senders` sender ports, each below kMaxNodePorts; others are refused
// and counted.
// A sequence far behind the highest seen means the sender restarted: its counts start over
// (the consumers see the counters go down and skip that interval).
#ifndef DMPD_USERSPACE_CONTROL_PEER_RECEIPTS_H_
#define DMPD_USERSPACE_CONTROL_PEER_RECEIPTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "common/sequence_window.h"

namespace dmpd {

struct Receipt {
  uint64_t received = 0;  // distinct frames heard
  uint64_t numbered = 1;  // sequence numbers spanned, the first heard to the highest
};

class PeerReceipts {
 public:
  // 16384 sender ports: the view's 1024 nodes with up to 16 ports each.
  explicit PeerReceipts(size_t max_senders = 16384) : max_senders_(max_senders) {}

  // One accepted frame from (node, port) with header sequence `sequence`.
  void Record(uint16_t node, uint16_t port, uint32_t sequence);

  // Nullptr for a sender port never heard.
  const Receipt* Find(uint16_t node, uint16_t port) const;
  // Every port of `node` heard so far, in no particular order.
  void ForNode(uint16_t node, const std::function<void(uint16_t port, const Receipt&)>& fn) const;

  size_t senders() const { return senders_.size(); }
  uint64_t refused() const { return refused_; }    // new sender ports past max_senders
  uint64_t restarts() const { return restarts_; }  // sequences that started over

 private:
  struct Sender {
    SequenceWindow window;
    Receipt receipt;
  };
  static uint32_t Key(uint16_t node, uint16_t port) { return (uint32_t{node} << 16) | port; }

  size_t max_senders_;
  absl::flat_hash_map<uint32_t, Sender> senders_;
  uint64_t refused_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_CONTROL_PEER_RECEIPTS_H_
