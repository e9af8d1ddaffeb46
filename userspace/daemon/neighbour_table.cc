// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/neighbour_table.h"

#include "absl/strings/str_format.h"

namespace dmpd {

void NeighbourTable::RecordHello(size_t local_port, uint16_t node, uint16_t port,
                                 const MacAddress& mac, uint32_t sequence, uint64_t now_ns) {
  if (local_port >= ports_.size()) return;
  Neighbour& n = ports_[local_port][{node, port}];
  n.node = node;
  n.port = port;
  n.mac = mac;
  n.hellos++;
  n.last_sequence = sequence;
  n.last_seen_ns = now_ns;
}

void NeighbourTable::Expire(uint64_t now_ns, uint64_t timeout_ns) {
  for (auto& table : ports_) {
    std::erase_if(table, [&](const auto& kv) { return now_ns - kv.second.last_seen_ns > timeout_ns; });
  }
}

std::vector<Neighbour> NeighbourTable::On(size_t local_port) const {
  std::vector<Neighbour> out;
  if (local_port >= ports_.size()) return out;
  for (const auto& [key, n] : ports_[local_port]) out.push_back(n);
  return out;
}

std::string FormatMac(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

}  // namespace dmpd
