// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/monitor_commands.h"

#include "userspace/monitor/monitor_views.h"
#include "userspace/runtime/port_operand.h"

namespace dmpd {

using nlohmann::json;
using Args = CommandRegistry::Args;

void RegisterMonitorCommands(const monitor::NodeMonitor& monitor,
                             const std::vector<std::string>& port_names,
                             CommandRegistry& commands) {
  auto latest = [&monitor]() -> absl::StatusOr<std::shared_ptr<const monitor::NodeSample>> {
    std::shared_ptr<const monitor::NodeSample> s = monitor.Latest();
    if (s == nullptr) {
      return absl::UnavailableError("no monitoring sample yet; try again in a second");
    }
    return s;
  };
  commands.Register("node", "", "this node's monitoring data (Table 3)",
                    [latest](const Args&) -> absl::StatusOr<json> {
                      auto s = latest();
                      if (!s.ok()) return s.status();
                      return monitor::NodeView(**s);
                    });
  commands.Register("ports", "", "each port's monitoring data (Table 4)",
                    [latest](const Args&) -> absl::StatusOr<json> {
                      auto s = latest();
                      if (!s.ok()) return s.status();
                      return monitor::PortsView(**s);
                    });
  commands.Register(
      "history", "PORT", "a port's recent samples",
      [latest, &monitor, port_names](const Args& args) -> absl::StatusOr<json> {
        if (args.size() != 1) {
          return absl::InvalidArgumentError(
              "usage: history PORT; " + PortOperandHelp(port_names));
        }
        auto port = ParsePortOperand(args[0], port_names);
        if (!port.ok()) return port.status();
        auto s = latest();
        if (!s.ok()) return s.status();
        const std::string& name = port_names[*port];
        auto history = monitor.PortHistory(name);
        if (!history.ok()) return history.status();
        return monitor::PortHistoryView(**s, name, *history);
      });
}

}  // namespace dmpd
