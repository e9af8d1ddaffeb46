// SPDX-License-Identifier: BSD-3-Clause
// WorkerTasks: the main lcore runs a function on the worker lcore and waits for its
// result — for state only the worker may touch (the virtual service's connection table
// and configuration), read or changed rarely (an operator's command, a metrics scrape, a
// resolved next hop). The worker checks one relaxed atomic per poll and takes the lock
// only when something is queued, so the packet path stays lock-free.
//
// The wait is short: a busy worker polls every few microseconds, and a sleeping one is
// woken through its eventfd. A worker that does not answer within the timeout (stopped,
// stuck) yields DeadlineExceeded; the function still runs if the worker comes back, so it
// must capture only what outlives the call (values, shared pointers, long-lived objects).
#ifndef DMPD_USERSPACE_DAEMON_WORKER_TASKS_H_
#define DMPD_USERSPACE_DAEMON_WORKER_TASKS_H_

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dmpd {

class WorkerTasks {
 public:
  // `wake_fd`: the worker's eventfd (it sleeps in epoll on it).
  explicit WorkerTasks(int wake_fd) : wake_fd_(wake_fd) {}

  // Main lcore: runs `fn` on the worker and returns its result.
  template <typename T>
  absl::StatusOr<T> Call(std::function<T()> fn,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> result = promise->get_future();
    Post([fn = std::move(fn), promise] { promise->set_value(fn()); });
    if (result.wait_for(timeout) != std::future_status::ready) {
      return absl::DeadlineExceededError(
          "the worker lcore did not answer in time; what was asked may still happen when it does");
    }
    return result.get();
  }

  // Worker: runs what is queued. Cheap when nothing is.
  void RunPending() {
    if (!pending_.load(std::memory_order_acquire)) return;
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(queue_);
      pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& t : tasks) t();
  }

 private:
  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
      pending_.store(true, std::memory_order_release);
    }
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }

  int wake_fd_;
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;
  std::atomic<bool> pending_{false};
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_WORKER_TASKS_H_
