// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/neighbour_table.h"


namespace dmpd {

NeighbourTable::Recorded NeighbourTable::RecordHello(size_t local_port, uint16_t node,
                                                     uint16_t port, const MacAddress& mac,
                                                     uint32_t sequence, uint64_t now_ns) {
  if (local_port >= ports_.size()) return Recorded::kRefused;
  auto& table = ports_[local_port];
  auto it = table.find({node, port});
  Recorded result = Recorded::kUpdated;
  if (it == table.end()) {
    if (entries_ >= max_entries_) return Recorded::kRefused;
    it = table.emplace(std::make_pair(node, port), Neighbour{.node = node, .port = port}).first;
    ++entries_;
    result = Recorded::kNew;
  }
  Neighbour& n = it->second;
  n.mac = mac;
  n.hellos++;
  n.last_sequence = sequence;
  n.last_seen_ns = now_ns;
  return result;
}

size_t NeighbourTable::Expire(uint64_t now_ns, uint64_t timeout_ns) {
  size_t expired = 0;
  for (auto& table : ports_) {
    expired += std::erase_if(
        table, [&](const auto& kv) { return now_ns - kv.second.last_seen_ns > timeout_ns; });
  }
  entries_ -= expired;
  return expired;
}

std::vector<Neighbour> NeighbourTable::On(size_t local_port, size_t limit) const {
  std::vector<Neighbour> out;
  if (local_port >= ports_.size()) return out;
  for (const auto& [key, n] : ports_[local_port]) {
    if (out.size() >= limit) break;
    out.push_back(n);
  }
  return out;
}

size_t NeighbourTable::CountOn(size_t local_port) const {
  return local_port < ports_.size() ? ports_[local_port].size() : 0;
}

}  // namespace dmpd
