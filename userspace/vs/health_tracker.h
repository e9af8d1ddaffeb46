// SPDX-License-Identifier: BSD-3-Clause
// HealthTracker: a backend's health from its checks' results (issue 9, "backends' health").
// A backend starts healthy (it serves as soon as it is configured); `fall` failed checks in
// a row make it unhealthy (no new connections), `rise` good ones in a row bring it back —
// keepalived's and HAProxy's rule, so that one lost probe does not flap a backend.
// Pure: the daemon runs the checks (TCP connects) and feeds the results in.
#ifndef DMPD_USERSPACE_VS_HEALTH_TRACKER_H_
#define DMPD_USERSPACE_VS_HEALTH_TRACKER_H_

#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "userspace/vs/double_nat.h"

namespace dmpd::vs {

class HealthTracker {
 public:
  struct Options {
    uint32_t rise = 2;
    uint32_t fall = 3;
  };
  explicit HealthTracker(Options options) : options_(options) {}

  // One check's result; the new state if this result changed it.
  std::optional<bool> Record(const Endpoint& backend, bool ok);
  bool healthy(const Endpoint& backend) const;
  void Forget(const Endpoint& backend) { state_.erase(Key(backend)); }

 private:
  struct State {
    bool healthy = true;
    uint32_t streak = 0;  // results in a row that disagree with `healthy`
  };
  static uint64_t Key(const Endpoint& e) { return (uint64_t{e.addr} << 16) | e.port; }

  Options options_;
  absl::flat_hash_map<uint64_t, State> state_;
};

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_HEALTH_TRACKER_H_
