// SPDX-License-Identifier: BSD-3-Clause
// ReplayWindow: accepts each (sender node, sender port, epoch, sequence) of authenticated
// frames once (PROTO-4). Per sender port, a 64-frame sliding window over the header's
// sequence (serial arithmetic, so it survives the wrap) as in IPsec (RFC 4303 §3.4.3);
// a newer epoch (the sender restarted) resets the window, an older one is a replay.
// Only frames whose MAC checked are offered, so only key holders occupy entries.
#ifndef DMPD_COMMON_REPLAY_WINDOW_H_
#define DMPD_COMMON_REPLAY_WINDOW_H_

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/sequence_window.h"

namespace dmpd {

class ReplayWindow {
 public:
  static constexpr uint32_t kWindow = SequenceWindow::kWindow;
  // 4096 sender ports: 1024 nodes of 4 ports, the view's limit (protocol_limits.h).
  explicit ReplayWindow(size_t max_senders = 4096) : max_senders_(max_senders) {}

  // OK the first time; kReplay for a repeat, a sequence older than the window, or an old
  // epoch; kTooMany when a new sender would exceed max_senders.
  absl::Status Accept(uint16_t node, uint16_t port, uint64_t epoch, uint32_t sequence);

  size_t senders() const { return senders_.size(); }

 private:
  struct Sender {
    uint64_t epoch;
    SequenceWindow window;
  };
  size_t max_senders_;
  absl::flat_hash_map<uint32_t, Sender> senders_;  // key: node << 16 | port
};

}  // namespace dmpd

#endif  // DMPD_COMMON_REPLAY_WINDOW_H_
