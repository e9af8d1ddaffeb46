// SPDX-License-Identifier: BSD-3-Clause
// PortInfo: the paper's m… field group (Fig. 3; MON-2, MON-6), one per LAN port of a node.
// Counters are totals since the daemon started; rates and ratios are over the last
// sampling interval. Units are fixed here; absent = unknown.
#ifndef DMPD_COMMON_PORT_INFO_H_
#define DMPD_COMMON_PORT_INFO_H_

#include <cstdint>
#include <optional>

#include "common/field_group.h"
#include "common/tlv_types.h"

namespace dmpd {

enum PortState : uint8_t {
  kPortDown = 1,     // no carrier, or administratively down
  kPortUp = 2,       // link up and hearing the cluster
  kPortUnheard = 3,  // link up but no cluster frames for the configured cycles (CLU-3)
};

// X(bit, name, type, "unit and meaning"). Append only (field_group.h).
#define DMPD_PORT_INFO_FIELDS(X)                                                 \
  X(0, mac, MacAddress, "the port's MAC address")                                \
  X(1, state, uint8_t, "PortState")                                              \
  X(2, speed_bps, uint64_t, "link speed (BW of eq. 3), bits/s")                  \
  X(3, rx_bytes, uint64_t, "bytes received")                                     \
  X(4, tx_bytes, uint64_t, "bytes sent")                                         \
  X(5, rx_packets, uint64_t, "frames received")                                  \
  X(6, tx_packets, uint64_t, "frames sent (T_send of eq. 2)")                    \
  X(7, errors, uint64_t, "receive plus transmit errors")                         \
  X(8, drops, uint64_t, "frames dropped by the port or the PMD")                 \
  X(9, queue_overflows, uint64_t, "receive queue overflows (rx_nombuf, missed)") \
  X(10, util_ppm, uint32_t, "U_port, eq. (3), ppm")                              \
  X(11, loss_ppm, uint32_t, "R_loss, eq. (2), ppm")                              \
  X(12, load_ppm, uint32_t, "smoothed port load L_i, eq. (5)-(6), ppm")

struct PortInfo {
  static constexpr TlvType kTlvType = TlvType::kPortInfo;
  uint16_t id = 0;  // the port's index in its node's configuration
  DMPD_FIELD_GROUP(DMPD_PORT_INFO_FIELDS);
  friend bool operator==(const PortInfo&, const PortInfo&) = default;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_PORT_INFO_H_
