// SPDX-License-Identifier: BSD-3-Clause
// SteerMaps: the daemon's handle on the maps of an attached dmpd_steer program — write
// its configuration, read its per-CPU counters, pin both for operators.
#ifndef DMPD_USERSPACE_XDP_STEER_MAPS_H_
#define DMPD_USERSPACE_XDP_STEER_MAPS_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
  // Take DMPD frames unicast to other MACs (nodes behind a device that rewrites MACs);
  // otherwise, once the port's MAC is known, they are dropped (DP-3).
  bool accept_foreign_unicast = false;
};

// What a previous run's program counted and can no longer report: it stays attached and
// counting after its daemon is SIGKILLed. Read before the stale program is replaced.
struct LeftoverCounters {
  dmpd_steer_counters counters{};
  std::vector<std::string> sources;  // where they were read, for the log line
};

class SteerMaps {
 public:
  // Opens the config and counters maps of `prog` (a dmpd_steer program) and checks that
  // the kernel's key and value sizes match our structs (common/xdp_steer.h).
  static absl::StatusOr<SteerMaps> Open(const AttachedProgram& prog);

  // `port_mac` (wire order) is the port's own MAC, known once the PMD has started: with it,
  // DMPD frames unicast to any other MAC are dropped unless accept_foreign_unicast.
  absl::Status Configure(const SteerSettings& settings,
                         const std::optional<std::array<uint8_t, 6>>& port_mac = std::nullopt);

  // Sums the per-CPU counters and adds those carried over from a crashed run, so that
  // every reader (status, monitoring, metrics) sees the port's drops since it was first
  // attached, not since the last crash.
  absl::StatusOr<dmpd_steer_counters> ReadCounters() const;

  // Counters of previous runs (see ReadLeftoverCounters) to add to ours. Call before Pin,
  // which pins them too, so that a second crash carries them over again.
  void SetCarriedOver(const dmpd_steer_counters& carried) { carried_ = carried; }
  const dmpd_steer_counters& carried_over() const { return carried_; }

  // Pins the maps as <dir>/config, <dir>/counters and <dir>/carried (a map of its own
  // holding carried_over(), with the counters' BTF); creates dir (EnsurePinDir). Pins left
  // there by a crashed run are replaced atomically (pin under a temporary name, rename).
  absl::Status Pin(const std::string& dir);
  // Removes the pins made by Pin (and the directory if empty). Safe to call twice.
  void Unpin();

 private:
  SteerMaps(UniqueFd config, UniqueFd counters)
      : config_(std::move(config)), counters_(std::move(counters)) {}

  UniqueFd config_;
  UniqueFd counters_;
  UniqueFd carried_map_;
  dmpd_steer_counters carried_{};
  std::string pin_dir_;
};

// Opens map `name` of `prog` and checks that the kernel's key and value sizes are these.
absl::StatusOr<UniqueFd> OpenCheckedMap(const AttachedProgram& prog, const char* name,
                                        uint32_t key_size, uint32_t value_size);

// Adds `b` into `a`, field by field.
void AccumulateCounters(dmpd_steer_counters& a, const dmpd_steer_counters& b);

// The counters a previous run left in `pin_dir` (its pinned counters, plus what it had
// carried over itself) and, if `stale` is given and its counters map is not the pinned
// one, that map too. Each map is counted once. Maps of another layout version are read by
// position (the counter list only grows at its end); pins that are not dmpd's counters
// maps are ignored. Nothing found: all zero, no sources.
absl::StatusOr<LeftoverCounters> ReadLeftoverCounters(const std::string& pin_dir,
                                                      const AttachedProgram* stale);

// The counters by field name (for JSON: nlohmann turns the map into an object).
std::map<std::string, uint64_t> CountersByName(const dmpd_steer_counters& c);

// "no_socket=12 redirected_control=3" for the non-zero counters, or "none".
std::string FormatNonZeroCounters(const dmpd_steer_counters& c);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_STEER_MAPS_H_
