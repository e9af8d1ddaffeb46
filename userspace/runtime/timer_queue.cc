// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/timer_queue.h"

namespace dmpd {

void TimerQueue::Schedule(TimerId id, uint64_t due_ns) {
  timers_[id].due_ns = due_ns;
  by_due_.emplace(due_ns, id);
}

TimerQueue::TimerId TimerQueue::After(uint64_t delay_ns, Callback fn) {
  const TimerId id = next_id_++;
  timers_.emplace(id, Timer{0, 0, std::move(fn)});
  Schedule(id, NowNs() + delay_ns);
  return id;
}

TimerQueue::TimerId TimerQueue::Every(uint64_t period_ns, uint64_t first_delay_ns, Callback fn) {
  const TimerId id = next_id_++;
  timers_.emplace(id, Timer{0, period_ns > 0 ? period_ns : 1, std::move(fn)});
  Schedule(id, NowNs() + first_delay_ns);
  return id;
}

void TimerQueue::SetPeriod(TimerId id, uint64_t period_ns) {
  auto it = timers_.find(id);
  if (it != timers_.end() && it->second.period_ns > 0 && period_ns > 0) {
    it->second.period_ns = period_ns;
  }
}

void TimerQueue::Cancel(TimerId id) { timers_.erase(id); }

std::optional<uint64_t> TimerQueue::NextDueNs() const {
  // Stale index entries (cancelled or rescheduled timers) are skipped, not trusted.
  for (const auto& [due, id] : by_due_) {
    auto it = timers_.find(id);
    if (it != timers_.end() && it->second.due_ns == due) return due;
  }
  return std::nullopt;
}

void TimerQueue::RunDue() {
  const uint64_t now = NowNs();
  while (!by_due_.empty() && by_due_.begin()->first <= now) {
    const auto [due, id] = *by_due_.begin();
    by_due_.erase(by_due_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end() || it->second.due_ns != due) continue;  // stale entry
    if (it->second.period_ns == 0) {
      Callback fn = std::move(it->second.fn);
      timers_.erase(it);
      fn();
      continue;
    }
    uint64_t next = due + it->second.period_ns;
    if (next <= now) next = now + it->second.period_ns;  // fell behind: skip, don't burst
    Schedule(id, next);
    // Copied: the callback may cancel its own timer, which destroys the stored one.
    Callback fn = it->second.fn;
    fn();
  }
}

}  // namespace dmpd
