// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/port_input.h"

#include <optional>

#include "common/field_group.h"

namespace dmpd::lb {
namespace {

std::optional<double> Ratio(const std::optional<uint32_t>& ppm) {
  if (!ppm) return std::nullopt;
  return RatioFromPpm(*ppm);
}

}  // namespace

double PortLoadFromInfo(const PortInfo& info, const monitor::PortLoadModel& model) {
  if (info.load_ppm) return RatioFromPpm(*info.load_ppm);
  return model.InstantLoad({Ratio(info.util_ppm), Ratio(info.loss_ppm), std::nullopt});
}

bool PortAvailableFromInfo(const PortInfo& info) {
  return info.state && *info.state == kPortUp && info.mac.has_value();
}

std::vector<PortInput> PortInputsFromNodeView(const NodeView& view,
                                              const monitor::PortLoadModel& model) {
  std::vector<PortInput> out;
  out.reserve(view.ports.size());
  for (const PortInfo& p : view.ports) {
    PortInput& in = out.emplace_back();
    in.port_id = p.id;
    in.mac = p.mac.value_or(MacAddress{});
    in.available = PortAvailableFromInfo(p);
    in.load = PortLoadFromInfo(p, model);
    in.bandwidth_bps = static_cast<double>(p.speed_bps.value_or(0));
  }
  return out;
}

DestinationPorts DestinationPortsFromNodeView(const NodeView& view,
                                              const monitor::PortLoadModel& model) {
  return DestinationPorts{view.info.id, PortInputsFromNodeView(view, model)};
}

}  // namespace dmpd::lb
