// SPDX-License-Identifier: BSD-3-Clause
// RelaxedCounter: a counter with one writer (a worker lcore) and any number of readers
// (the main lcore). Plain load + store, no lock prefix on the hot path.
#ifndef DMPD_USERSPACE_RUNTIME_RELAXED_COUNTER_H_
#define DMPD_USERSPACE_RUNTIME_RELAXED_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace dmpd {

class RelaxedCounter {
 public:
  void Add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }
  // By the writer only (a slot that starts a new life).
  void Reset() { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_RELAXED_COUNTER_H_
