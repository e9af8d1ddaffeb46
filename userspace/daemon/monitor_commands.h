// SPDX-License-Identifier: BSD-3-Clause
// The monitor's dmpdctl commands: `node`, `ports` and `history PORT`, the views of the
// paper's Tables 3 and 4 (userspace/monitor/monitor_views.h) over the latest sample.
// `port_names` are the ports' interfaces in index order: PORT may be either.
#ifndef DMPD_USERSPACE_DAEMON_MONITOR_COMMANDS_H_
#define DMPD_USERSPACE_DAEMON_MONITOR_COMMANDS_H_

#include <string>
#include <vector>

#include "userspace/monitor/node_monitor.h"
#include "userspace/runtime/command_registry.h"

namespace dmpd {

void RegisterMonitorCommands(const monitor::NodeMonitor& monitor,
                             const std::vector<std::string>& port_names,
                             CommandRegistry& commands);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_MONITOR_COMMANDS_H_
