// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/event_loop.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"

namespace dmpd {

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(const Clock& clock) {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");
  return std::unique_ptr<EventLoop>(new EventLoop(clock, std::move(epoll)));
}

absl::Status EventLoop::Watch(int fd, uint32_t events, FdHandler handler) {
  epoll_event ev{.events = events, .data = {.fd = fd}};
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("epoll_ctl add fd ", fd));
  }
  handlers_[fd] = std::make_shared<FdHandler>(std::move(handler));
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  epoll_event ev{.events = events, .data = {.fd = fd}};
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("epoll_ctl mod fd ", fd));
  }
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

absl::Status EventLoop::RunOnce(int max_wait_ms) {
  int wait_ms = max_wait_ms;
  if (auto due = timers_.NextDueNs()) {
    const uint64_t now = timers_.NowNs();
    // Rounded up: waking a little late is fine, waking early would spin.
    const uint64_t until = *due > now ? (*due - now + 999'999) / 1'000'000 : 0;
    wait_ms = static_cast<int>(std::min<uint64_t>(until, static_cast<uint64_t>(max_wait_ms)));
  }
  epoll_event events[64];
  const int n = epoll_wait(epoll_.get(), events, 64, wait_ms);
  if (n < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "epoll_wait");
  for (int i = 0; i < n; ++i) {
    auto it = handlers_.find(events[i].data.fd);
    if (it == handlers_.end()) continue;  // unwatched by an earlier handler this round
    std::shared_ptr<FdHandler> handler = it->second;
    (*handler)(events[i].events);
  }
  timers_.RunDue();
  return absl::OkStatus();
}

absl::Status EventLoop::Run() {
  stop_ = false;
  while (!stop_) {
    if (absl::Status s = RunOnce(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace dmpd
