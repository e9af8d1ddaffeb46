// SPDX-License-Identifier: BSD-3-Clause
#include "common/replay_window.h"

#include "common/decode_error.h"

namespace dmpd {

absl::Status ReplayWindow::Accept(uint16_t node, uint16_t port, uint64_t epoch, uint32_t sequence) {
  const uint32_t key = (uint32_t{node} << 16) | port;
  auto it = senders_.find(key);
  if (it == senders_.end()) {
    if (senders_.size() >= max_senders_) return DecodeFailure(DecodeError::kTooMany);
    senders_.emplace(key, Sender{epoch, SequenceWindow(sequence)});
    return absl::OkStatus();
  }
  Sender& s = it->second;
  if (epoch < s.epoch) return DecodeFailure(DecodeError::kReplay);
  if (epoch > s.epoch) {
    s = Sender{epoch, SequenceWindow(sequence)};
    return absl::OkStatus();
  }
  return s.window.Offer(sequence).verdict == SequenceWindow::Verdict::kNew
             ? absl::OkStatus()
             : DecodeFailure(DecodeError::kReplay);
}

}  // namespace dmpd
