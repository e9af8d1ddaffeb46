// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/token_bucket.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace dmpd::pipe {
namespace {

constexpr uint64_t kNanos = 1'000'000'000;
// ForceConsume may leave at most this debt (byte-ns), so the refill arithmetic below is
// bounded: burst + debt + rate < 2^64.
constexpr uint64_t kMaxDebtNb = TokenBucket::kMaxBurst * kNanos;
static_assert(TokenBucket::kMaxBurst * kNanos * 2 + TokenBucket::kMaxRate <
              std::numeric_limits<uint64_t>::max());
static_assert(TokenBucket::kMaxBurst * kNanos <
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));

absl::Status CheckLimits(uint64_t rate, uint64_t burst) {
  if (rate > TokenBucket::kMaxRate) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate ", rate, " bytes/s above the limit ", TokenBucket::kMaxRate));
  }
  if (burst == 0 || burst > TokenBucket::kMaxBurst) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst ", burst, " bytes not in [1, ", TokenBucket::kMaxBurst, "]"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TokenBucket> TokenBucket::Create(uint64_t rate_bytes_per_s, uint64_t burst_bytes,
                                                uint64_t now_ns) {
  if (absl::Status s = CheckLimits(rate_bytes_per_s, burst_bytes); !s.ok()) return s;
  TokenBucket b;
  b.last_ns_ = now_ns;
  b.rate_ = rate_bytes_per_s;
  b.burst_nb_ = burst_bytes * kNanos;
  b.fill_ns_ = b.rate_ == 0 ? 0 : (b.burst_nb_ + kMaxDebtNb) / b.rate_ + 1;
  b.tokens_nb_ = static_cast<int64_t>(b.burst_nb_);
  return b;
}

void TokenBucket::Refill(uint64_t now_ns) {
  // A clock that goes back (or two callers' stamps out of order) grants nothing.
  if (now_ns <= last_ns_) return;
  const uint64_t dt = now_ns - last_ns_;
  last_ns_ = now_ns;
  if (rate_ == 0) return;
  // tokens_nb_ is in [-kMaxDebtNb, burst_nb_]: the deficit fits in 64 bits unsigned.
  const uint64_t deficit = burst_nb_ - static_cast<uint64_t>(tokens_nb_);
  if (deficit == 0) return;
  // Past fill_ns_ the bucket is full whatever the debt; below it the product is bounded
  // by burst + debt + rate, so a day-long idle gap cannot overflow.
  if (dt >= fill_ns_) {
    tokens_nb_ = static_cast<int64_t>(burst_nb_);
    return;
  }
  const uint64_t add = rate_ * dt;
  // add can exceed 2^63 when paying back a deep debt; the sum, below the burst, cannot.
  // Modular unsigned addition then the (C++20: two's complement) conversion is exact.
  tokens_nb_ = add >= deficit ? static_cast<int64_t>(burst_nb_)
                              : static_cast<int64_t>(static_cast<uint64_t>(tokens_nb_) + add);
}

bool TokenBucket::TryConsume(uint64_t bytes, uint64_t now_ns) {
  if (bytes > kMaxBurst) return false;
  Refill(now_ns);
  const auto need = static_cast<int64_t>(bytes * kNanos);
  if (tokens_nb_ < need) return false;
  tokens_nb_ -= need;
  return true;
}

void TokenBucket::ForceConsume(uint64_t bytes, uint64_t now_ns) {
  Refill(now_ns);
  const auto need = static_cast<int64_t>(std::min(bytes, kMaxBurst) * kNanos);
  tokens_nb_ = std::max(tokens_nb_ - need, -static_cast<int64_t>(kMaxDebtNb));
}

uint64_t TokenBucket::NanosUntil(uint64_t bytes, uint64_t now_ns) {
  constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  if (bytes * kNanos > burst_nb_ || bytes > kMaxBurst) return kNever;
  Refill(now_ns);
  const auto need = static_cast<int64_t>(bytes * kNanos);
  if (tokens_nb_ >= need) return 0;
  if (rate_ == 0) return kNever;
  const uint64_t missing = static_cast<uint64_t>(need - tokens_nb_);
  return (missing + rate_ - 1) / rate_;
}

absl::Status TokenBucket::SetRate(uint64_t rate_bytes_per_s, uint64_t burst_bytes,
                                  uint64_t now_ns) {
  if (absl::Status s = CheckLimits(rate_bytes_per_s, burst_bytes); !s.ok()) return s;
  Refill(now_ns);  // what accrued so far accrued at the old rate
  rate_ = rate_bytes_per_s;
  burst_nb_ = burst_bytes * kNanos;
  fill_ns_ = rate_ == 0 ? 0 : (burst_nb_ + kMaxDebtNb) / rate_ + 1;
  tokens_nb_ = std::min(tokens_nb_, static_cast<int64_t>(burst_nb_));
  return absl::OkStatus();
}

uint64_t TokenBucket::Available(uint64_t now_ns) {
  Refill(now_ns);
  return tokens_nb_ > 0 ? static_cast<uint64_t>(tokens_nb_) / kNanos : 0;
}

}  // namespace dmpd::pipe
