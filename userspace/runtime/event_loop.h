// SPDX-License-Identifier: BSD-3-Clause
// EventLoop: the main lcore's one loop. It waits in epoll on the descriptors registered
// with it (control and metrics clients, signals, the worker's eventfd) until the earliest
// timer of its TimerQueue is due, then dispatches. Handlers must not block: everything
// that talks to the outside is non-blocking and bounded (REL-5).
#ifndef DMPD_USERSPACE_RUNTIME_EVENT_LOOP_H_
#define DMPD_USERSPACE_RUNTIME_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userspace/runtime/timer_queue.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

class EventLoop {
 public:
  using FdHandler = std::function<void(uint32_t events)>;  // EPOLLIN, EPOLLOUT, ...

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(const Clock& clock);

  TimerQueue& timers() { return timers_; }
  const Clock& clock() const { return timers_.clock(); }

  // Calls `handler` whenever `fd` is ready for `events` (level-triggered). The caller
  // keeps owning `fd` and must Unwatch it before closing it.
  absl::Status Watch(int fd, uint32_t events, FdHandler handler);
  absl::Status Modify(int fd, uint32_t events);
  void Unwatch(int fd);

  // One round: waits at most until the next timer (and at most `max_wait_ms`), then runs
  // ready handlers and due timers.
  absl::Status RunOnce(int max_wait_ms = 1000);
  // Rounds until Stop().
  absl::Status Run();
  void Stop() { stop_ = true; }

 private:
  EventLoop(const Clock& clock, UniqueFd epoll) : timers_(clock), epoll_(std::move(epoll)) {}
  TimerQueue timers_;
  UniqueFd epoll_;
  // shared_ptr: a handler may Unwatch (and so destroy) itself, or others, mid-dispatch.
  std::unordered_map<int, std::shared_ptr<FdHandler>> handlers_;
  bool stop_ = false;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_EVENT_LOOP_H_
