// SPDX-License-Identifier: BSD-3-Clause
// The cluster in the Prometheus text format (OPS-2): this node's view of the master and
// term, each member's state and each member port's state.
#ifndef DMPD_USERSPACE_DAEMON_CLUSTER_METRICS_H_
#define DMPD_USERSPACE_DAEMON_CLUSTER_METRICS_H_

#include <string>

#include "userspace/cluster/cluster_node.h"

namespace dmpd {

// `node_name`: the `node` label every dmpd series carries.
std::string RenderClusterMetrics(const cluster::ClusterNode& cluster, const std::string& node_name);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_CLUSTER_METRICS_H_
