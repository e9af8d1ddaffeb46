// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/clock.h"

#include <ctime>

#include "absl/time/clock.h"

namespace dmpd {
namespace {

uint64_t ReadMonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

SystemClock::SystemClock() : start_ns_(ReadMonotonicNs()), start_wall_(absl::Now()) {}

uint64_t SystemClock::MonotonicNs() const { return ReadMonotonicNs(); }

absl::Time SystemClock::Wall() const {
  return start_wall_ + absl::Nanoseconds(ReadMonotonicNs() - start_ns_);
}

}  // namespace dmpd
