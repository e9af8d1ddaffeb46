// SPDX-License-Identifier: BSD-3-Clause
// NeighbourTable: per local port, the (node, port) pairs heard there through hellos, with
// their MAC and when they were last heard. Fed from the wire, so it is bounded (REL-5):
// at most `max_entries` over all local ports; a new pair when full is refused and
// counted, and the pairs already known keep being refreshed. Pure logic.
#ifndef DMPD_USERSPACE_DAEMON_NEIGHBOUR_TABLE_H_
#define DMPD_USERSPACE_DAEMON_NEIGHBOUR_TABLE_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/mac_address.h"

namespace dmpd {


struct Neighbour {
  uint16_t node = 0;
  uint16_t port = 0;
  MacAddress mac{};
  uint64_t hellos = 0;
  uint32_t last_sequence = 0;
  uint64_t last_seen_ns = 0;
};

class NeighbourTable {
 public:
  enum class Recorded { kNew, kUpdated, kRefused };

  NeighbourTable(size_t local_ports, size_t max_entries)
      : ports_(local_ports), max_entries_(max_entries) {}

  // Records a hello heard on `local_port`; out-of-range ports are refused.
  Recorded RecordHello(size_t local_port, uint16_t node, uint16_t port, const MacAddress& mac,
                       uint32_t sequence, uint64_t now_ns);

  // Forgets neighbours not heard for `timeout_ns`; returns how many.
  size_t Expire(uint64_t now_ns, uint64_t timeout_ns);

  // Up to `limit` neighbours of `local_port`, ordered by (node, port).
  std::vector<Neighbour> On(size_t local_port, size_t limit = SIZE_MAX) const;
  size_t CountOn(size_t local_port) const;

  size_t size() const { return entries_; }
  size_t max_entries() const { return max_entries_; }

 private:
  std::vector<std::map<std::pair<uint16_t, uint16_t>, Neighbour>> ports_;
  size_t max_entries_;
  size_t entries_ = 0;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_NEIGHBOUR_TABLE_H_
