// SPDX-License-Identifier: BSD-3-Clause
// NodeInfo: the paper's n… field group (Fig. 3, Table 1; MON-1), one per node in a
// heartbeat's view and in a heartbeat response. Units are fixed here; absent = unknown.
#ifndef DMPD_COMMON_NODE_INFO_H_
#define DMPD_COMMON_NODE_INFO_H_

#include <cstdint>
#include <optional>

#include "common/field_group.h"
#include "common/tlv_types.h"

namespace dmpd {

// NodeInfo::health, reported by the node itself (MON-7).
enum NodeHealth : uint8_t {
  kNodeHealthy = 1,
  kNodeDegraded = 2,  // working, past a soft limit
  kNodeLeaving = 3,   // about to leave or has left on its own
};

// NodeInfo::member_state: the master's verdict, set in heartbeats only (CLU-3).
enum NodeMemberState : uint8_t {
  kMemberAlive = 1,
  kMemberSuspect = 2,  // missed some cycles, fewer than the failure threshold
  kMemberFailed = 3,
  kMemberLeft = 4,
  kMemberConflict = 5,  // two daemons answer with one node number (CLU-7)
};

// X(bit, name, type, "unit and meaning"). Append only (field_group.h).
#define DMPD_NODE_INFO_FIELDS(X)                                                          \
  X(0, cores, uint16_t, "SCORE: online CPU cores")                                        \
  X(1, cpu_util_ppm, uint32_t, "UCPU: CPU utilisation over all cores, ppm (1e6 = 100 %)") \
  X(2, load1_milli, uint32_t, "LCPU: 1-minute load average x 1000")                       \
  X(3, load5_milli, uint32_t, "LCPU: 5-minute load average x 1000")                       \
  X(4, load15_milli, uint32_t, "LCPU: 15-minute load average x 1000")                     \
  X(5, io_util_ppm, uint32_t, "LIO: I/O utilisation (busiest disk), ppm")                 \
  X(6, mem_bytes, uint64_t, "SMEM: memory size, bytes")                                   \
  X(7, mem_util_ppm, uint32_t, "UMEM: memory utilisation, ppm")                           \
  X(8, temperature_mc, int32_t, "CPU temperature, millidegrees Celsius")                  \
  X(9, voltage_mv, uint32_t, "supply voltage, millivolts")                                \
  X(10, current_ma, uint32_t, "supply current, milliamperes")                             \
  X(11, processes, uint32_t, "processes")                                                 \
  X(12, threads, uint32_t, "threads")                                                     \
  X(13, health, uint8_t, "NodeHealth, as the node reports itself")                        \
  X(14, net_bps, uint64_t, "network traffic over the LAN ports, bits/s")                  \
  X(15, net_load_ppm, uint32_t, "network load over the LAN ports, ppm")                   \
  X(16, member_state, uint8_t, "NodeMemberState, the master's verdict (heartbeat only)")  \
  X(17, last_seen_cycle, uint32_t, "last cycle the master heard the node (heartbeat only)")

struct NodeInfo {
  static constexpr TlvType kTlvType = TlvType::kNodeInfo;
  uint16_t id = 0;  // node_num
  DMPD_FIELD_GROUP(DMPD_NODE_INFO_FIELDS);
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_NODE_INFO_H_
