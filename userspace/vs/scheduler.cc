// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/scheduler.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace dmpd::vs {
namespace {

bool Eligible(const BackendLoad& b) { return b.healthy && b.weight > 0; }

}  // namespace

absl::StatusOr<std::unique_ptr<Scheduler>> CreateScheduler(std::string_view name) {
  if (name == "rr") return std::make_unique<RoundRobinScheduler>();
  if (name == "wrr") return std::make_unique<WeightedRoundRobinScheduler>();
  if (name == "lc") return std::make_unique<LeastConnectionsScheduler>();
  return absl::InvalidArgumentError(
      absl::StrCat("scheduler '", std::string(name), "': rr, wrr or lc"));
}

std::optional<uint32_t> RoundRobinScheduler::Pick(std::span<const BackendLoad> backends) {
  const auto n = static_cast<uint32_t>(backends.size());
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t b = (next_ + i) % n;
    if (Eligible(backends[b])) {
      next_ = (b + 1) % n;
      return b;
    }
  }
  return std::nullopt;
}

std::optional<uint32_t> WeightedRoundRobinScheduler::Pick(std::span<const BackendLoad> backends) {
  if (credit_.size() != backends.size()) credit_.assign(backends.size(), 0);  // set changed
  int64_t total = 0;
  std::optional<uint32_t> best;
  for (uint32_t i = 0; i < backends.size(); ++i) {
    if (!Eligible(backends[i])) {
      credit_[i] = 0;
      continue;
    }
    credit_[i] += backends[i].weight;
    total += backends[i].weight;
    if (!best || credit_[i] > credit_[*best]) best = i;
  }
  if (best) credit_[*best] -= total;
  return best;
}

std::optional<uint32_t> LeastConnectionsScheduler::Pick(std::span<const BackendLoad> backends) {
  std::optional<uint32_t> best;
  for (uint32_t i = 0; i < backends.size(); ++i) {
    if (!Eligible(backends[i])) continue;
    // connections_i / weight_i < connections_best / weight_best, without division.
    if (!best || uint64_t{backends[i].connections} * backends[*best].weight <
                     uint64_t{backends[*best].connections} * backends[i].weight) {
      best = i;
    }
  }
  return best;
}

}  // namespace dmpd::vs
