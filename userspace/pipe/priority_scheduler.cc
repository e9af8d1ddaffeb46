// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/priority_scheduler.h"

#include <bit>

#include "absl/strings/str_cat.h"

namespace dmpd::pipe {

absl::StatusOr<PriorityScheduler> PriorityScheduler::Create(const Options& options) {
  if (options.capacity == 0 || options.capacity >= kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat("scheduler capacity ", options.capacity, " out of range"));
  }
  return PriorityScheduler(options);
}

absl::Status PriorityScheduler::Add(uint32_t slot, uint32_t priority) {
  if (slot >= slots_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("pipe slot ", slot, " beyond the scheduler's ", slots_.size()));
  }
  if (priority >= kLevels) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority ", priority, " not in [0, ", kLevels - 1, "]"));
  }
  if (slots_[slot].present) {
    return absl::AlreadyExistsError(absl::StrCat("pipe slot ", slot, " already scheduled"));
  }
  slots_[slot] = Slot{};
  slots_[slot].priority = static_cast<uint8_t>(priority);
  slots_[slot].present = true;
  return absl::OkStatus();
}

absl::Status PriorityScheduler::Remove(uint32_t slot) {
  if (slot >= slots_.size() || !slots_[slot].present) {
    return absl::NotFoundError(absl::StrCat("pipe slot ", slot, " not scheduled"));
  }
  if (slots_[slot].queued) Unlink(slot);
  slots_[slot].present = false;
  return absl::OkStatus();
}

absl::Status PriorityScheduler::SetPriority(uint32_t slot, uint32_t priority) {
  if (slot >= slots_.size() || !slots_[slot].present) {
    return absl::NotFoundError(absl::StrCat("pipe slot ", slot, " not scheduled"));
  }
  if (priority >= kLevels) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority ", priority, " not in [0, ", kLevels - 1, "]"));
  }
  Slot& s = slots_[slot];
  if (s.priority == priority) return absl::OkStatus();
  const bool was_queued = s.queued;
  if (was_queued) Unlink(slot);
  s.priority = static_cast<uint8_t>(priority);
  // Keeps ready_pick/ready_ns: its wait goes on counting. The guard compares waits, not
  // queue positions, so an older wait behind younger ones in the new queue is served by
  // the heads' guard only once they are served; the bound then grows by that queue's
  // length, which is acceptable for a setup call.
  if (was_queued) Enqueue(slot);
  return absl::OkStatus();
}

void PriorityScheduler::Enqueue(uint32_t slot) {
  Slot& s = slots_[slot];
  Queue& q = queues_[s.priority];
  s.prev = q.tail;
  s.next = kNone;
  if (q.tail == kNone) {
    q.head = slot;
  } else {
    slots_[q.tail].next = slot;
  }
  q.tail = slot;
  s.queued = true;
  nonempty_ |= 1u << s.priority;
}

void PriorityScheduler::EnqueueFront(uint32_t slot) {
  Slot& s = slots_[slot];
  Queue& q = queues_[s.priority];
  s.prev = kNone;
  s.next = q.head;
  if (q.head == kNone) {
    q.tail = slot;
  } else {
    slots_[q.head].prev = slot;
  }
  q.head = slot;
  s.queued = true;
  nonempty_ |= 1u << s.priority;
}

void PriorityScheduler::Unlink(uint32_t slot) {
  Slot& s = slots_[slot];
  Queue& q = queues_[s.priority];
  if (s.prev == kNone) {
    q.head = s.next;
  } else {
    slots_[s.prev].next = s.next;
  }
  if (s.next == kNone) {
    q.tail = s.prev;
  } else {
    slots_[s.next].prev = s.prev;
  }
  s.prev = s.next = kNone;
  s.queued = false;
  if (q.head == kNone) nonempty_ &= ~(1u << s.priority);
}

void PriorityScheduler::MarkReady(uint32_t slot, uint64_t now_ns) {
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.present || s.queued) return;
  s.ready_pick = picks_;
  s.ready_ns = now_ns;
  Enqueue(slot);
}

void PriorityScheduler::PutBack(uint32_t slot, uint64_t now_ns) {
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.present || s.queued) return;
  s.ready_pick = picks_;
  s.ready_ns = now_ns;
  EnqueueFront(slot);
}

void PriorityScheduler::MarkIdle(uint32_t slot) {
  if (slot < slots_.size() && slots_[slot].queued) Unlink(slot);
}

bool PriorityScheduler::ready(uint32_t slot) const {
  return slot < slots_.size() && slots_[slot].queued;
}

bool PriorityScheduler::Starving(const Slot& s, uint64_t now_ns) const {
  if (options_.max_wait_picks != 0 && picks_ - s.ready_pick >= options_.max_wait_picks) {
    return true;
  }
  // now_ns before ready_ns (stamps out of order) counts as no wait.
  return options_.max_wait_ns != 0 && now_ns > s.ready_ns &&
         now_ns - s.ready_ns >= options_.max_wait_ns;
}

uint32_t PriorityScheduler::Pick(uint64_t now_ns) {
  if (nonempty_ == 0) return kNone;
  const uint32_t top = 31 - static_cast<uint32_t>(std::countl_zero(nonempty_));
  uint32_t chosen = queues_[top].head;
  // Guard: among the heads of the lower queues (each the longest waiter of its queue),
  // the one that waited longest, if it is starving. The top queue's head is served anyway.
  uint32_t lower = nonempty_ & ~(1u << top);
  uint32_t oldest = kNone;
  while (lower != 0) {
    const uint32_t level = static_cast<uint32_t>(std::countr_zero(lower));
    lower &= lower - 1;
    const uint32_t head = queues_[level].head;
    if (!Starving(slots_[head], now_ns)) continue;
    if (oldest == kNone || slots_[head].ready_pick < slots_[oldest].ready_pick ||
        (slots_[head].ready_pick == slots_[oldest].ready_pick &&
         slots_[head].ready_ns < slots_[oldest].ready_ns)) {
      oldest = head;
    }
  }
  if (oldest != kNone) {
    const Slot& t = slots_[chosen];
    const Slot& o = slots_[oldest];
    // The top head wins a tie or when it waited longer itself.
    if (o.ready_pick < t.ready_pick || (o.ready_pick == t.ready_pick && o.ready_ns < t.ready_ns)) {
      chosen = oldest;
      ++guard_picks_;
    }
  }
  Unlink(chosen);
  ++picks_;
  return chosen;
}

}  // namespace dmpd::pipe
