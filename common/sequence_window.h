// SPDX-License-Identifier: BSD-3-Clause
// SequenceWindow: which of a sender port's recent header sequences were seen, as in IPsec's
// anti-replay window (RFC 4303 §3.4.3): the highest sequence and a 64-bit bitmap behind it,
// with serial number arithmetic (RFC 1982) so that it survives the wrap. The replay window
// (PROTO-4) and the peer receipts of eq. (2) both keep one per sender port.
#ifndef DMPD_COMMON_SEQUENCE_WINDOW_H_
#define DMPD_COMMON_SEQUENCE_WINDOW_H_

#include <cstdint>

namespace dmpd {

class SequenceWindow {
 public:
  static constexpr uint32_t kWindow = 64;

  enum class Verdict : uint8_t { kNew, kDuplicate, kTooOld };
  struct Result {
    Verdict verdict;
    uint32_t advanced;  // how far the highest sequence moved ahead (0 unless kNew)
  };

  explicit SequenceWindow(uint32_t first) : top_(first), seen_(1) {}

  Result Offer(uint32_t sequence) {
    // Ahead means within 2^31 after `top_`.
    const auto ahead = static_cast<int32_t>(sequence - top_);
    if (ahead > 0) {
      const auto by = static_cast<uint32_t>(ahead);
      seen_ = by >= kWindow ? 1 : (seen_ << by) | 1;
      top_ = sequence;
      return {Verdict::kNew, by};
    }
    const uint32_t behind = top_ - sequence;
    if (behind >= kWindow) return {Verdict::kTooOld, 0};
    const uint64_t bit = uint64_t{1} << behind;
    if (seen_ & bit) return {Verdict::kDuplicate, 0};
    seen_ |= bit;
    return {Verdict::kNew, 0};
  }

  uint32_t top() const { return top_; }

 private:
  uint32_t top_;   // highest sequence seen
  uint64_t seen_;  // bit i: top_ - i was seen
};

}  // namespace dmpd

#endif  // DMPD_COMMON_SEQUENCE_WINDOW_H_
