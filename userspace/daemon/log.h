// SPDX-License-Identifier: BSD-3-Clause
// One log line per event: "<time> <level> <component>: <message>" on stderr. libbpf's and
// DPDK's own logs are routed here (RouteLibraryLogs) so operators read one stream.
#ifndef DMPD_USERSPACE_DAEMON_LOG_H_
#define DMPD_USERSPACE_DAEMON_LOG_H_

#include "absl/strings/string_view.h"

#include "userspace/daemon/daemon_config.h"

namespace dmpd {

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, absl::string_view component, absl::string_view message);

// Sends libbpf's messages (warnings and above unless debug) and DPDK's log stream through
// Log(). Call before loading BPF objects or initialising the EAL.
void RouteLibraryLogs();

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_LOG_H_
