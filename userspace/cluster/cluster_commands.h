// SPDX-License-Identifier: BSD-3-Clause
// The cluster's dmpdctl commands and status part (OPS-1): `cluster` (master, term, cycle
// and every member with its state, age, Table 3 row and Table 4 port rows), `leave
// [--reason TEXT]` and `join` (maintenance by hand, MON-7).
#ifndef DMPD_USERSPACE_CLUSTER_CLUSTER_COMMANDS_H_
#define DMPD_USERSPACE_CLUSTER_CLUSTER_COMMANDS_H_

#include <nlohmann/json.hpp>

#include "userspace/cluster/cluster_node.h"
#include "userspace/runtime/command_registry.h"

namespace dmpd::cluster {

// The `cluster` document: {"node", "master" (null if none), "term", "cycle", "role",
// "number_in_conflict", "members": [{"node", "state", "reason"?, "age_ms", "last_cycle",
// "info": {Table 3}, "ports": [{"port", "up", "state", Table 4...}]}]}.
nlohmann::json ClusterView(const ClusterNode& cluster);

void RegisterClusterCommands(ClusterNode& cluster, CommandRegistry& commands);

}  // namespace dmpd::cluster

#endif  // DMPD_USERSPACE_CLUSTER_CLUSTER_COMMANDS_H_
