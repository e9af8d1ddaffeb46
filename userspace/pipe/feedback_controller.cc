// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/feedback_controller.h"

#include <algorithm>

namespace dmpd::pipe {
namespace {

bool Above(const std::optional<double>& v, double mark) { return v && *v > mark; }

}  // namespace

std::optional<uint64_t> FeedbackController::allowance(uint32_t slot) const {
  return slot < allowances_.size() ? allowances_[slot] : std::nullopt;
}

std::vector<Allowance> FeedbackController::Step(const NodePressure& p,
                                                std::span<const PipeLoad> pipes) {
  std::vector<Allowance> changed;
  // Forget pipes that went away.
  std::vector<bool> listed(allowances_.size(), false);
  for (const PipeLoad& l : pipes) {
    if (l.slot >= allowances_.size()) {
      allowances_.resize(l.slot + 1);
      uncut_.resize(l.slot + 1, 0);
    }
    if (l.slot >= listed.size()) listed.resize(l.slot + 1, false);
    listed[l.slot] = true;
  }
  for (size_t i = 0; i < allowances_.size(); ++i) {
    if (!listed[i]) allowances_[i].reset();
  }
  const bool high = Above(p.buffers, config_.high_watermark) ||
                    Above(p.ring_memory, config_.high_watermark) ||
                    Above(p.worker_busy, config_.high_watermark);
  const bool room = !Above(p.buffers, config_.low_watermark) &&
                    !Above(p.ring_memory, config_.low_watermark) &&
                    !Above(p.worker_busy, config_.low_watermark);
  if (high) {
    short_ = true;
    Cut(pipes, &changed);
  } else if (room) {
    short_ = false;
    Grow(pipes, &changed);
  }
  return changed;
}

// The lowest priority level with a pipe above the floor gives: each of its pipes is cut to
// `cut` of what it sends now (or of its allowance, whichever is lower). The highest level
// that sends is never cut: cutting is for the benefit of higher priorities, and a node
// whose pipes are all of one priority is merely busy.
bool FeedbackController::Cut(std::span<const PipeLoad> pipes, std::vector<Allowance>* changed) {
  int top = -1;
  for (const PipeLoad& l : pipes) {
    if (l.sent_bytes_per_s > static_cast<double>(config_.floor_bytes_per_s)) {
      top = std::max<int>(top, l.priority);
    }
  }
  for (int level = 0; level < top; ++level) {
    bool gave = false;
    for (const PipeLoad& l : pipes) {
      if (l.priority != level) continue;
      std::optional<uint64_t>& a = allowances_[l.slot];
      const double basis = std::min<double>(l.sent_bytes_per_s, a ? static_cast<double>(*a) : 1e30);
      const auto next = std::max<uint64_t>(config_.floor_bytes_per_s,
                                           static_cast<uint64_t>(basis * config_.cut));
      if (a && *a <= config_.floor_bytes_per_s) continue;  // already at the floor
      if (!a && l.sent_bytes_per_s <= config_.floor_bytes_per_s) continue;  // sends next to nothing
      if (!a) uncut_[l.slot] = l.sent_bytes_per_s;
      a = next;
      changed->push_back({l.slot, a});
      gave = true;
    }
    if (gave) return true;
  }
  return false;  // every pipe at its floor: nothing more to give
}

// The highest priority level that is held back grows first, one level a step.
void FeedbackController::Grow(std::span<const PipeLoad> pipes, std::vector<Allowance>* changed) {
  for (int level = 255; level >= 0; --level) {
    bool grew = false;
    for (const PipeLoad& l : pipes) {
      if (l.priority != level) continue;
      std::optional<uint64_t>& a = allowances_[l.slot];
      if (!a) continue;
      const auto next = static_cast<uint64_t>(static_cast<double>(*a) * config_.grow) + 1;
      if ((l.configured_bytes_per_s > 0 && next >= l.configured_bytes_per_s) ||
          static_cast<double>(next) >= uncut_[l.slot]) {
        a.reset();  // its own threshold, or what it sent before, is the limit again
      } else if (l.sent_bytes_per_s < 0.8 * static_cast<double>(*a)) {
        a.reset();  // it does not use what it has: nothing holds it back
      } else {
        a = next;
      }
      changed->push_back({l.slot, a});
      grew = true;
    }
    if (grew) return;
  }
}

}  // namespace dmpd::pipe
