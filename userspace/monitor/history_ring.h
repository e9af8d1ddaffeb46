// SPDX-License-Identifier: BSD-3-Clause
// A bounded ring of the most recent samples (MON-2 "a history of recent samples"): pushing
// into a full ring forgets the oldest. Not thread-safe; NodeMonitor guards it.
#ifndef DMPD_USERSPACE_MONITOR_HISTORY_RING_H_
#define DMPD_USERSPACE_MONITOR_HISTORY_RING_H_

#include <cstddef>
#include <vector>

namespace dmpd::monitor {

template <typename T>
class HistoryRing {
 public:
  // A capacity of 0 is taken as 1: a ring that keeps nothing would only hide the latest.
  explicit HistoryRing(size_t capacity) : slots_(capacity == 0 ? 1 : capacity) {}

  void Push(T value) {
    slots_[next_] = std::move(value);
    next_ = (next_ + 1) % slots_.size();
    if (size_ < slots_.size()) ++size_;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  bool empty() const { return size_ == 0; }

  // Oldest first; at most the `last` most recent when given.
  std::vector<T> Snapshot(size_t last = static_cast<size_t>(-1)) const {
    const size_t n = last < size_ ? last : size_;
    std::vector<T> out;
    out.reserve(n);
    const size_t cap = slots_.size();
    for (size_t i = size_ - n; i < size_; ++i)
      out.push_back(slots_[(next_ + cap - size_ + i) % cap]);
    return out;
  }

 private:
  std::vector<T> slots_;
  size_t next_ = 0;  // the slot the next Push writes
  size_t size_ = 0;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_HISTORY_RING_H_
