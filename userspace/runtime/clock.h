// SPDX-License-Identifier: BSD-3-Clause
// Clock: the only way modules learn the time (STYLE.md 14). The daemon passes a
// SystemClock; tests and the simulator pass a ManualClock and move it themselves, so the
// same module code runs under virtual time.
#ifndef DMPD_USERSPACE_RUNTIME_CLOCK_H_
#define DMPD_USERSPACE_RUNTIME_CLOCK_H_

#include <cstdint>

#include "absl/time/time.h"

namespace dmpd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Never steps backwards; the base of every timer and timeout.
  virtual uint64_t MonotonicNs() const = 0;
  // Wall time, for timestamps people read. Derived from the monotonic clock so that an
  // NTP step neither stalls timers nor distorts sampling intervals.
  virtual absl::Time Wall() const = 0;
};

// CLOCK_MONOTONIC, with wall time anchored at construction.
class SystemClock final : public Clock {
 public:
  SystemClock();
  uint64_t MonotonicNs() const override;
  absl::Time Wall() const override;

 private:
  uint64_t start_ns_;
  absl::Time start_wall_;
};

// Time that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ns = 1'000'000'000, absl::Time wall = absl::UnixEpoch())
      : now_ns_(start_ns), wall_at_start_(wall), start_ns_(start_ns) {}
  uint64_t MonotonicNs() const override { return now_ns_; }
  absl::Time Wall() const override {
    return wall_at_start_ + absl::Nanoseconds(now_ns_ - start_ns_);
  }
  void Advance(uint64_t ns) { now_ns_ += ns; }
  void Set(uint64_t ns) { now_ns_ = ns; }

 private:
  uint64_t now_ns_;
  absl::Time wall_at_start_;
  uint64_t start_ns_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_CLOCK_H_
