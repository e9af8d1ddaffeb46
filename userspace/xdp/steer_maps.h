// SPDX-License-Identifier: BSD-3-Clause
// SteerMaps: the daemon's handle on the maps of an attached dmpd_steer program — write
// its configuration, read its per-CPU counters, pin both for operators.
#ifndef DMPD_USERSPACE_XDP_STEER_MAPS_H_
#define DMPD_USERSPACE_XDP_STEER_MAPS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/dmpd_wire.h"
#include "common/xdp_steer.h"
#include "userspace/xdp/unique_fd.h"
#include "userspace/xdp/xdp_attachment.h"

namespace dmpd {

struct SteerSettings {
  uint16_t ethertype = DMPD_ETHERTYPE_DEFAULT;  // host order
  uint32_t cluster_id = 0;
  bool filter_other_clusters = true;
  std::optional<uint16_t> local_node;  // set: drop data frames for other nodes (DP-3)
};

class SteerMaps {
 public:
  // Opens the config and counters maps of `prog` (a dmpd_steer program) and checks that
  // the kernel's key and value sizes match our structs (common/xdp_steer.h).
  static absl::StatusOr<SteerMaps> Open(const AttachedProgram& prog);

  absl::Status Configure(const SteerSettings& settings);

  // Sums the per-CPU counters.
  absl::StatusOr<dmpd_steer_counters> ReadCounters() const;

  // Pins the maps as <dir>/config and <dir>/counters (creating dir); replaces stale pins
  // left there by a crashed run.
  absl::Status Pin(const std::string& dir);
  // Removes the pins made by Pin (and the directory if empty). Safe to call twice.
  void Unpin();

 private:
  SteerMaps(UniqueFd config, UniqueFd counters)
      : config_(std::move(config)), counters_(std::move(counters)) {}

  UniqueFd config_;
  UniqueFd counters_;
  std::string pin_dir_;
};

// Adds `b` into `a`, field by field.
void AccumulateCounters(dmpd_steer_counters& a, const dmpd_steer_counters& b);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_STEER_MAPS_H_
