// SPDX-License-Identifier: BSD-3-Clause
// NeighbourTable: per local port, the (node, port) pairs heard there through hellos, with
// their MAC and when they were last heard. Main-lcore state; pure logic.
#ifndef DMPD_USERSPACE_DAEMON_NEIGHBOUR_TABLE_H_
#define DMPD_USERSPACE_DAEMON_NEIGHBOUR_TABLE_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dmpd {

using MacAddress = std::array<uint8_t, 6>;

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
  explicit NeighbourTable(size_t local_ports) : ports_(local_ports) {}

  // Records a hello heard on `local_port`. Out-of-range ports are ignored.
  void RecordHello(size_t local_port, uint16_t node, uint16_t port, const MacAddress& mac,
                   uint32_t sequence, uint64_t now_ns);

  // Forgets neighbours not heard for `timeout_ns`.
  void Expire(uint64_t now_ns, uint64_t timeout_ns);

  // Neighbours of `local_port`, ordered by (node, port).
  std::vector<Neighbour> On(size_t local_port) const;

 private:
  std::vector<std::map<std::pair<uint16_t, uint16_t>, Neighbour>> ports_;
};

std::string FormatMac(const MacAddress& mac);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_NEIGHBOUR_TABLE_H_
