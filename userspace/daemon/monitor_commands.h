// SPDX-License-Identifier: BSD-3-Clause
// The monitor's dmpdctl commands: `node`, `ports` and `history PORT`, the views of the
// paper's Tables 3 and 4 (userspace/monitor/monitor_views.h) over the latest sample.
#ifndef DMPD_USERSPACE_DAEMON_MONITOR_COMMANDS_H_
#define DMPD_USERSPACE_DAEMON_MONITOR_COMMANDS_H_

#include "userspace/monitor/node_monitor.h"
#include "userspace/runtime/command_registry.h"

namespace dmpd {

void RegisterMonitorCommands(const monitor::NodeMonitor& monitor, CommandRegistry& commands);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_MONITOR_COMMANDS_H_
