// SPDX-License-Identifier: BSD-3-Clause
#include "common/replay_window.h"

#include "common/decode_error.h"

namespace dmpd {

absl::Status ReplayWindow::Accept(uint16_t node, uint16_t port, uint64_t epoch, uint32_t sequence) {
  const uint32_t key = (uint32_t{node} << 16) | port;
  auto it = senders_.find(key);
  if (it == senders_.end()) {
    if (senders_.size() >= max_senders_) return DecodeFailure(DecodeError::kTooMany);
    senders_.emplace(key, Sender{epoch, sequence, 1});
    return absl::OkStatus();
  }
  Sender& s = it->second;
  if (epoch < s.epoch) return DecodeFailure(DecodeError::kReplay);
  if (epoch > s.epoch) {
    s = Sender{epoch, sequence, 1};
    return absl::OkStatus();
  }
  // Serial number arithmetic (RFC 1982): ahead means within 2^31 after `top`.
  const auto ahead = static_cast<int32_t>(sequence - s.top);
  if (ahead > 0) {
    s.seen = static_cast<uint32_t>(ahead) >= kWindow ? 1 : (s.seen << ahead) | 1;
    s.top = sequence;
    return absl::OkStatus();
  }
  const uint32_t behind = s.top - sequence;
  if (behind >= kWindow) return DecodeFailure(DecodeError::kReplay);
  const uint64_t bit = uint64_t{1} << behind;
  if (s.seen & bit) return DecodeFailure(DecodeError::kReplay);
  s.seen |= bit;
  return absl::OkStatus();
}

}  // namespace dmpd
