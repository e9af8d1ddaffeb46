// SPDX-License-Identifier: BSD-3-Clause
// TokenBucket: a pipe's traffic threshold (PIPE-2), a rate in bytes/s with a burst in
// bytes. Time is passed in (ns, any monotonic origin); nothing here reads a clock.
// Tokens are kept in byte-nanoseconds (bytes × 10^9) so that a refill is one multiply,
// exact, with no remainder lost however often it is called: over any span the bucket
// grants rate × span / 10^9 bytes plus the burst, to the byte.
#ifndef DMPD_USERSPACE_PIPE_TOKEN_BUCKET_H_
#define DMPD_USERSPACE_PIPE_TOKEN_BUCKET_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dmpd::pipe {

class TokenBucket {
 public:
  // Limits that keep every product below 2^64: burst × 10^9 × 2 + rate fits.
  static constexpr uint64_t kMaxRate = uint64_t{1} << 40;   // bytes/s (~8.8 Tb/s)
  static constexpr uint64_t kMaxBurst = uint64_t{8} << 30;  // bytes (8 GiB)

  // Starts full. rate 0 grants nothing beyond the burst; burst must be > 0.
  static absl::StatusOr<TokenBucket> Create(uint64_t rate_bytes_per_s, uint64_t burst_bytes,
                                            uint64_t now_ns);

  // Takes `bytes` if that many tokens are there now. A request larger than the burst
  // never succeeds (the caller should split it or raise the burst).
  bool TryConsume(uint64_t bytes, uint64_t now_ns);

  // Takes `bytes` even if that leaves a debt, which later refills pay back first: for a
  // message already committed (e.g. the remaining copies of a k-copy send).
  void ForceConsume(uint64_t bytes, uint64_t now_ns);

  // Nanoseconds until TryConsume(bytes) can succeed: 0 if now; UINT64_MAX if never (more
  // than the burst, or rate 0 and not enough tokens). For the worker's next deadline.
  uint64_t NanosUntil(uint64_t bytes, uint64_t now_ns);

  // Reconfigures (lower or raise the bandwidth, PIPE-2; feedback control, PIPE-3): tokens
  // accrued at the old rate up to now are kept, clamped to the new burst.
  absl::Status SetRate(uint64_t rate_bytes_per_s, uint64_t burst_bytes, uint64_t now_ns);

  uint64_t rate() const { return rate_; }
  uint64_t burst() const { return burst_nb_ / kNanosPerSecond; }
  // Whole bytes available now (0 while in debt); for monitoring.
  uint64_t Available(uint64_t now_ns);

 private:
  static constexpr uint64_t kNanosPerSecond = 1'000'000'000;
  TokenBucket() = default;
  void Refill(uint64_t now_ns);

  uint64_t rate_ = 0;      // bytes/s
  uint64_t burst_nb_ = 0;  // byte-ns
  uint64_t fill_ns_ = 0;   // time that fills an empty bucket (caps the refill product)
  int64_t tokens_nb_ = 0;  // byte-ns; negative = debt from ForceConsume
  uint64_t last_ns_ = 0;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_TOKEN_BUCKET_H_
