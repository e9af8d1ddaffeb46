// SPDX-License-Identifier: BSD-3-Clause
// VsSteerMaps: the daemon's handle on the virtual service's maps of one port's dmpd_steer
// program (common/xdp_steer.h): which vip:vport and which VIPs' vdport range go to the
// AF_XDP socket, and the per-CPU counters of those frames.
#ifndef DMPD_USERSPACE_XDP_VS_STEER_MAPS_H_
#define DMPD_USERSPACE_XDP_VS_STEER_MAPS_H_

#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include "absl/status/statusor.h"
#include "common/xdp_steer.h"
#include "userspace/xdp/unique_fd.h"
#include "userspace/xdp/xdp_attachment.h"

namespace dmpd {

// What the program should take: services (host order) and the vdport range.
struct VsSteering {
  struct Service {
    uint32_t vip = 0;
    uint16_t port = 0;
    uint8_t proto = 0;
    friend auto operator<=>(const Service&, const Service&) = default;
  };
  std::set<Service> services;  // empty: the program takes no IPv4 frame at all
  uint16_t vdport_first = 0;
  uint16_t vdport_last = 0;
  friend bool operator==(const VsSteering&, const VsSteering&) = default;
};

class VsSteerMaps {
 public:
  static absl::StatusOr<VsSteerMaps> Open(const AttachedProgram& prog);

  // Makes the maps say `want`: entries added first, stale ones removed after, the magic
  // written last (and cleared first when nothing is left), so that at no moment a frame
  // of a configured service is left to the kernel.
  absl::Status Apply(const VsSteering& want);
  absl::StatusOr<dmpd_vs_counters> ReadCounters() const;

 private:
  VsSteerMaps(UniqueFd config, UniqueFd services, UniqueFd vips, UniqueFd counters)
      : config_(std::move(config)),
        services_(std::move(services)),
        vips_(std::move(vips)),
        counters_(std::move(counters)) {}

  UniqueFd config_, services_, vips_, counters_;
  VsSteering applied_;            // the services the maps hold now, and the range
  std::set<uint32_t> vips_applied_;  // the VIPs they hold
  bool magic_on_ = false;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_VS_STEER_MAPS_H_
