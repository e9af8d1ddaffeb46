// SPDX-License-Identifier: BSD-3-Clause
// PortInput: what the balancer needs to know of one port, on the sending node (from the
// local monitor) or on a destination node (from the cluster view), and the adapter from
// the view. Loads are the smoothed L_i of eqs. (5)–(6), a ratio (1.0 = a full link).
#ifndef DMPD_USERSPACE_LB_PORT_INPUT_H_
#define DMPD_USERSPACE_LB_PORT_INPUT_H_

#include <cstdint>
#include <vector>

#include "common/mac_address.h"
#include "common/node_view.h"
#include "common/port_info.h"
#include "userspace/monitor/port_load_model.h"

namespace dmpd::lb {

struct PortInput {
  uint16_t port_id = 0;  // the port's index in its node's configuration (PortInfo::id)
  MacAddress mac{};
  bool available = false;  // up and usable; a port that is not is never chosen
  double load = 0;         // smoothed L_i (PortLoadModel::SmoothedLoad)
  uint16_t tx_queue = 0;   // local ports: the TX queue this worker sends on; unused for peers
  // BW of eq. (3), bit/s; 0 when not known. A key's traffic divided by it is the share of
  // the port's utilisation that key accounts for (load_ledger.h).
  double bandwidth_bps = 0;
};

// The ports of one destination node, as its last heartbeat view described them.
struct DestinationPorts {
  uint16_t node = 0;  // Dnode_num
  std::vector<PortInput> ports;
};

// L_i of a port from the view: the sender's own smoothed load (load_ppm) when it sent one;
// otherwise eq. (5) over the factors the view carries (utilisation, loss; the overflow
// rate is not in the view, so it counts as 0 — PortLoadModel's rule for a missing factor).
double PortLoadFromInfo(const PortInfo& info, const monitor::PortLoadModel& model);

// A port is available when the view says kPortUp and gives its MAC (without one, no
// frame can be addressed to it). kPortUnheard is not available: its link is up but the
// cluster does not hear it, so frames sent to it may be lost (CLU-3).
bool PortAvailableFromInfo(const PortInfo& info);

std::vector<PortInput> PortInputsFromNodeView(const NodeView& view,
                                              const monitor::PortLoadModel& model);

// The destination's table: node id from view.info.id.
DestinationPorts DestinationPortsFromNodeView(const NodeView& view,
                                              const monitor::PortLoadModel& model);

}  // namespace dmpd::lb

#endif  // DMPD_USERSPACE_LB_PORT_INPUT_H_
