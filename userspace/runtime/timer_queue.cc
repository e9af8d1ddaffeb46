// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/timer_queue.h"

namespace dmpd {

TimerQueue::TimerId TimerQueue::Add(uint64_t due_ns, uint64_t period_ns, Callback fn) {
  const TimerId id = next_id_++;
  timers_.emplace(id, Timer{period_ns, std::move(fn), by_due_.emplace(due_ns, id)});
  return id;
}

TimerQueue::TimerId TimerQueue::After(uint64_t delay_ns, Callback fn) {
  return Add(NowNs() + delay_ns, 0, std::move(fn));
}

TimerQueue::TimerId TimerQueue::Every(uint64_t period_ns, uint64_t first_delay_ns, Callback fn) {
  return Add(NowNs() + first_delay_ns, period_ns > 0 ? period_ns : 1, std::move(fn));
}

void TimerQueue::SetPeriod(TimerId id, uint64_t period_ns) {
  auto it = timers_.find(id);
  if (it != timers_.end() && it->second.period_ns > 0 && period_ns > 0) {
    it->second.period_ns = period_ns;
  }
}

void TimerQueue::Cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  by_due_.erase(it->second.due);
  timers_.erase(it);
}

std::optional<uint64_t> TimerQueue::NextDueNs() const {
  if (by_due_.empty()) return std::nullopt;
  return by_due_.begin()->first;
}

void TimerQueue::RunDue() {
  const uint64_t now = NowNs();
  while (!by_due_.empty() && by_due_.begin()->first <= now) {
    const auto [due, id] = *by_due_.begin();
    by_due_.erase(by_due_.begin());
    auto it = timers_.find(id);  // always there: Cancel removes both
    if (it->second.period_ns == 0) {
      Callback fn = std::move(it->second.fn);
      timers_.erase(it);
      fn();
      continue;
    }
    uint64_t next = due + it->second.period_ns;
    if (next <= now) next = now + it->second.period_ns;  // fell behind: skip, don't burst
    it->second.due = by_due_.emplace(next, id);
    // Copied: the callback may cancel its own timer, which destroys the stored one.
    Callback fn = it->second.fn;
    fn();
  }
}

}  // namespace dmpd
