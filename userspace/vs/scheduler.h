// SPDX-License-Identifier: BSD-3-Clause
// Which backend a new connection goes to: round robin, weighted round robin and (weighted)
// least connections, over the backends that are healthy and have a weight above 0. A
// backend that stopped answering its health checks gets no new connection; its existing
// ones stay until they time out.
#ifndef DMPD_USERSPACE_VS_SCHEDULER_H_
#define DMPD_USERSPACE_VS_SCHEDULER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dmpd::vs {

struct BackendLoad {
  uint32_t weight = 1;        // 0: no new connections (drained)
  uint32_t connections = 0;   // open now
  bool healthy = true;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // The backend for a new connection (an index into `backends`); nullopt when none can
  // take one. The backends may change between calls (added, removed, weights).
  virtual std::optional<uint32_t> Pick(std::span<const BackendLoad> backends) = 0;
};

// "rr", "wrr" or "lc".
absl::StatusOr<std::unique_ptr<Scheduler>> CreateScheduler(std::string_view name);

// Plain round robin: the next eligible backend after the last one chosen.
class RoundRobinScheduler final : public Scheduler {
 public:
  std::optional<uint32_t> Pick(std::span<const BackendLoad> backends) override;

 private:
  uint32_t next_ = 0;
};

// Smooth weighted round robin (nginx's): each pick adds every eligible backend's weight to
// its credit, takes the backend with the most credit and takes the total from it. Over a
// round of Σw picks each backend gets exactly its weight, interleaved, not in runs.
class WeightedRoundRobinScheduler final : public Scheduler {
 public:
  std::optional<uint32_t> Pick(std::span<const BackendLoad> backends) override;

 private:
  std::vector<int64_t> credit_;
};

// Weighted least connections (LVS's wlc): the least connections per weight; ties go to
// the lower index.
class LeastConnectionsScheduler final : public Scheduler {
 public:
  std::optional<uint32_t> Pick(std::span<const BackendLoad> backends) override;
};

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_SCHEDULER_H_
