// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/pipe_routes.h"

namespace dmpd {

std::map<uint16_t, pipe::Route> PipeRoutes(const NeighbourTable& neighbours, size_t local_ports,
                                           const cluster::ClusterNode* cluster,
                                           uint16_t own_node) {
  std::map<uint16_t, std::map<uint16_t, MacAddress>> ports;  // node → port → MAC
  if (cluster != nullptr) {
    for (const auto& [node, m] : cluster->members()) {
      if (node == own_node || m.state == cluster::MemberState::kFailed) continue;
      for (const PortInfo& p : m.view.ports) {
        if (p.mac && p.state == kPortUp) ports[node][p.id] = *p.mac;
      }
    }
  }
  for (size_t local = 0; local < local_ports; ++local) {
    for (const Neighbour& n : neighbours.On(local)) {
      if (n.node == own_node) continue;
      if (cluster != nullptr && cluster->members().count(n.node) > 0) continue;  // the view knows
      ports[n.node][n.port] = n.mac;
    }
  }
  std::map<uint16_t, pipe::Route> routes;
  for (const auto& [node, by_port] : ports) {
    pipe::Route& r = routes[node];
    for (const auto& [port, mac] : by_port) {
      if (r.count == pipe::kMaxRoutePorts) break;
      r.macs[r.count++] = mac;
    }
  }
  return routes;
}

}  // namespace dmpd
