// SPDX-License-Identifier: BSD-3-Clause
// The node's monitoring sample as the protocol's field groups (PROTO-2): what a node
// answers the master with each cycle (paper Table 3 node fields, Table 4 port fields).
// Units follow the wire: ratios in ppm, rates in bits/s, sizes in bytes.
#ifndef DMPD_USERSPACE_DAEMON_NODE_VIEW_FROM_SAMPLE_H_
#define DMPD_USERSPACE_DAEMON_NODE_VIEW_FROM_SAMPLE_H_

#include "common/node_view.h"
#include "userspace/monitor/node_sample.h"

namespace dmpd {

// Ports are numbered by their position in the sample (the configured order).
NodeView NodeViewFromSample(const monitor::NodeSample& sample);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_NODE_VIEW_FROM_SAMPLE_H_
