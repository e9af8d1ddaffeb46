// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/port_bandwidths.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "userspace/daemon/log.h"
#include "userspace/runtime/port_operand.h"

namespace dmpd {

using nlohmann::json;

void PortBandwidths::Apply(monitor::SampleInputs& in) const {
  for (size_t i = 0; i < in.ports.size() && i < override_mbps_.size(); ++i) {
    if (override_mbps_[i]) {
      in.ports[i].override_bandwidth_bits_per_second = static_cast<double>(*override_mbps_[i]) * 1e6;
    }
  }
}

void PortBandwidths::Register(const std::vector<std::string>& port_names,
                              CommandRegistry& commands) {
  commands.Register(
      "port-bandwidth", "PORT MBPS|default",
      "a port's bandwidth for utilisation (eq. 3), over its link speed; default: the link's",
      [this, port_names](const CommandRegistry::Args& args) -> absl::StatusOr<json> {
        if (args.size() != 2) {
          return absl::InvalidArgumentError(absl::StrCat("usage: port-bandwidth PORT MBPS|default; ",
                                                         PortOperandHelp(port_names)));
        }
        auto parsed = ParsePortOperand(args[0], port_names);
        if (!parsed.ok()) return parsed.status();
        const size_t port = *parsed;
        if (port >= override_mbps_.size()) return absl::InternalError("port beyond the data plane's");
        uint64_t mbps = 0;
        if (args[1] == "default") {
          override_mbps_[port].reset();
        } else if (absl::SimpleAtoi(args[1], &mbps) && mbps > 0 && mbps <= 10'000'000) {
          override_mbps_[port] = mbps;
        } else {
          return absl::InvalidArgumentError("MBPS: 1..10000000, or default");
        }
        Log(LogLevel::kInfo, "monitor",
            absl::StrCat("port ", port, " bandwidth ",
                         mbps > 0 ? absl::StrCat(mbps, " Mbit/s (set by hand)")
                                  : std::string("from the link or the configuration")));
        return json{{"port", port},
                    {"bandwidth_mbps", override_mbps_[port] ? json(*override_mbps_[port]) : json(nullptr)}};
      });
  commands.AddStatusSection([this](json& s) {
    if (!s.contains("ports") || !s["ports"].is_array()) return;
    for (size_t i = 0; i < override_mbps_.size() && i < s["ports"].size(); ++i) {
      s["ports"][i]["bandwidth_override_mbps"] =
          override_mbps_[i] ? json(*override_mbps_[i]) : json(nullptr);
    }
  });
}

}  // namespace dmpd
