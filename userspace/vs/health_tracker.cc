// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/health_tracker.h"

#include <algorithm>

namespace dmpd::vs {

std::optional<bool> HealthTracker::Record(const Endpoint& backend, bool ok) {
  State& s = state_[Key(backend)];
  if (ok == s.healthy) {
    s.streak = 0;
    return std::nullopt;
  }
  const uint32_t needed = std::max<uint32_t>(1, ok ? options_.rise : options_.fall);
  if (++s.streak < needed) return std::nullopt;
  s.healthy = ok;
  s.streak = 0;
  return ok;
}

bool HealthTracker::healthy(const Endpoint& backend) const {
  const auto it = state_.find(Key(backend));
  return it == state_.end() || it->second.healthy;
}

}  // namespace dmpd::vs
