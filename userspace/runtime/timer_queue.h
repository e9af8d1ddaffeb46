// SPDX-License-Identifier: BSD-3-Clause
// TimerQueue: one-shot and periodic timers on a Clock, with no file descriptors. The
// daemon's EventLoop sleeps until NextDueNs() and calls RunDue(); a test or the
// simulator advances a ManualClock and calls RunDue() itself. Modules take a TimerQueue&
// and never read a clock or sleep.
#ifndef DMPD_USERSPACE_RUNTIME_TIMER_QUEUE_H_
#define DMPD_USERSPACE_RUNTIME_TIMER_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "userspace/runtime/clock.h"

namespace dmpd {

class TimerQueue {
 public:
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  explicit TimerQueue(const Clock& clock) : clock_(clock) {}

  const Clock& clock() const { return clock_; }
  uint64_t NowNs() const { return clock_.MonotonicNs(); }

  // Runs `fn` once, `delay_ns` from now.
  TimerId After(uint64_t delay_ns, Callback fn);
  // Runs `fn` every `period_ns` (> 0), first after `first_delay_ns`. A callback that runs
  // late is not repeated to catch up: the next run is one period after this one was due,
  // or one period from now if that is already past.
  TimerId Every(uint64_t period_ns, uint64_t first_delay_ns, Callback fn);
  // Changes a periodic timer's period; it takes effect from its next run.
  void SetPeriod(TimerId id, uint64_t period_ns);
  // Safe from inside any callback, including the timer's own.
  void Cancel(TimerId id);

  // When the earliest timer is due (monotonic ns), if any.
  std::optional<uint64_t> NextDueNs() const;
  // Runs every timer due at the clock's current time, earliest first.
  void RunDue();

  size_t size() const { return timers_.size(); }

 private:
  using DueIndex = std::multimap<uint64_t, TimerId>;
  struct Timer {
    uint64_t period_ns;  // 0: one-shot
    Callback fn;
    DueIndex::iterator due;  // its entry in by_due_
  };
  const Clock& clock_;
  TimerId next_id_ = 1;
  std::map<TimerId, Timer> timers_;
  DueIndex by_due_;  // due -> id, one entry per live timer

  TimerId Add(uint64_t due_ns, uint64_t period_ns, Callback fn);
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_TIMER_QUEUE_H_
