// SPDX-License-Identifier: BSD-3-Clause
// PriorityScheduler: which pipe's ring the worker drains next (issue 8, TX). Strict
// priority, higher first; round robin among pipes of one priority; and a starvation guard
// so that a saturating high-priority pipe cannot shut a lower one out for ever.
//
// The worker tells the scheduler which pipes have work (MarkReady, idempotent: call it for
// every non-empty ring each poll); Pick takes one ready pipe off its queue and returns it;
// after draining up to its budget the worker calls MarkReady again if the ring is still not
// empty, which puts the pipe at the tail of its priority's queue.
//
// The guard: a ready pipe whose wait (since it became ready or was last picked) exceeds
// max_wait_picks picks or max_wait_ns nanoseconds is "starving"; while any queue's head is
// starving, Pick serves the starving head that has waited longest, whatever its priority.
// Bound: a pipe that becomes ready is picked within max_wait_picks + R picks, R the number
// of pipes ready at the time (every pick after it starves goes to a head that waited at
// least as long, and each of those is served once before going back with a fresh wait);
// with the time limit, within max_wait_ns plus R drains. Under saturation a low pipe thus
// gets at least one pick in max_wait_picks + 1; the higher pipe loses one drain at most
// that often.
//
// PutBack puts a pipe ahead of its queue again: the bound then holds for the pipes the
// worker serves; the engine puts back only pipes that could send nothing, and does not
// count their picks against a poll's (pipe_engine.cc), so they cannot crowd the others out.
//
// Fixed capacity set at Create; nothing allocates after. Pick is O(priority levels).
#ifndef DMPD_USERSPACE_PIPE_PRIORITY_SCHEDULER_H_
#define DMPD_USERSPACE_PIPE_PRIORITY_SCHEDULER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dmpd::pipe {

class PriorityScheduler {
 public:
  static constexpr uint32_t kLevels = 8;  // priorities 0 (lowest) .. 7 (highest)
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Options {
    uint32_t capacity = 1024;          // slots: pipes are named by a slot in [0, capacity)
    uint32_t max_wait_picks = 64;      // 0 disables the pick limit
    uint64_t max_wait_ns = 1'000'000;  // 1 ms; 0 disables the time limit
  };

  static absl::StatusOr<PriorityScheduler> Create(const Options& options);

  // Setup: a slot joins with a priority (not ready); Remove also takes it off its queue.
  absl::Status Add(uint32_t slot, uint32_t priority);
  absl::Status Remove(uint32_t slot);
  // PIPE-2 "raise its send priority" (or lower it): a ready pipe moves to the tail of its
  // new queue and keeps its wait.
  absl::Status SetPriority(uint32_t slot, uint32_t priority);

  // Hot path. No-op if the slot is already queued or unknown.
  void MarkReady(uint32_t slot, uint64_t now_ns);
  // A slot that was queued but whose work went away (its ring emptied by other means).
  void MarkIdle(uint32_t slot);
  // The next slot to drain, taken off its queue; kNone if none is ready.
  uint32_t Pick(uint64_t now_ns);
  // A picked slot that could send nothing (no room toward its destination) goes back to the
  // head of its queue, so that it is served first when room frees up: otherwise the pipe
  // ahead of it would take each freed room again. Its wait starts anew, as after a pick.
  void PutBack(uint32_t slot, uint64_t now_ns);

  bool ready(uint32_t slot) const;
  uint64_t picks() const { return picks_; }
  uint64_t guard_picks() const { return guard_picks_; }  // picks made by the guard

 private:
  struct Slot {
    uint32_t prev = kNone;  // within its level's queue
    uint32_t next = kNone;
    uint64_t ready_pick = 0;  // picks_ when it (re)joined the queue
    uint64_t ready_ns = 0;
    uint8_t priority = 0;
    bool present = false;
    bool queued = false;
  };
  struct Queue {
    uint32_t head = kNone;
    uint32_t tail = kNone;
  };

  explicit PriorityScheduler(const Options& o) : options_(o), slots_(o.capacity) {}
  void Enqueue(uint32_t slot);
  void EnqueueFront(uint32_t slot);
  void Unlink(uint32_t slot);
  bool Starving(const Slot& s, uint64_t now_ns) const;

  Options options_;
  std::vector<Slot> slots_;
  Queue queues_[kLevels];
  uint32_t nonempty_ = 0;  // bit l: queues_[l] has a slot
  uint64_t picks_ = 0;
  uint64_t guard_picks_ = 0;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_PRIORITY_SCHEDULER_H_
