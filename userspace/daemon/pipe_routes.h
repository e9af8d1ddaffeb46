// SPDX-License-Identifier: BSD-3-Clause
// Where each node's ports are, for the pipe engine: the MACs of its ports that are up, in
// port order, from the cluster view; for a node the view does not have yet, from the
// neighbours this node heard (their hellos carry the port MAC).
#ifndef DMPD_USERSPACE_DAEMON_PIPE_ROUTES_H_
#define DMPD_USERSPACE_DAEMON_PIPE_ROUTES_H_

#include <cstdint>
#include <map>

#include "userspace/cluster/cluster_node.h"
#include "userspace/daemon/neighbour_table.h"
#include "userspace/pipe/port_chooser.h"

namespace dmpd {

std::map<uint16_t, pipe::Route> PipeRoutes(const NeighbourTable& neighbours, size_t local_ports,
                                           const cluster::ClusterNode* cluster,
                                           uint16_t own_node);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_PIPE_ROUTES_H_
