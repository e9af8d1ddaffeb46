// SPDX-License-Identifier: BSD-3-Clause
// NeighbourDiscovery: sends a hello on every port each interval and learns, per local
// port, which (node, port) pairs it hears. The hellos are decoded by the ControlChannel
// before they reach it, so a defective hello never becomes a neighbour. Its status part:
// a summary of the table and, per port, at most kNeighboursShown neighbours, so `status`
// stays small whatever the wire sends (REL-5). Pure logic on a TimerQueue.
#ifndef DMPD_USERSPACE_DAEMON_NEIGHBOUR_DISCOVERY_H_
#define DMPD_USERSPACE_DAEMON_NEIGHBOUR_DISCOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "userspace/control/control_channel.h"
#include "userspace/daemon/neighbour_table.h"
#include "userspace/runtime/command_registry.h"
#include "userspace/runtime/timer_queue.h"

namespace dmpd {

struct NeighbourDiscoveryOptions {
  uint64_t hello_interval_ns = 1'000'000'000;
  // A neighbour unheard for this many hello intervals is forgotten.
  uint32_t timeout_intervals = 5;
  size_t max_neighbours = 4096;
  std::string name;  // sent in hellos; empty: none
};

class NeighbourDiscovery {
 public:
  static constexpr size_t kNeighboursShown = 64;

  NeighbourDiscovery(const NeighbourDiscoveryOptions& options, ControlChannel& channel,
                     TimerQueue& timers);
  ~NeighbourDiscovery();

  // Adds `neighbours` to each port of `status` (status["ports"][i], built earlier) and a
  // "neighbour_table" summary; registers `dmpdctl neighbours PORT [OFFSET]`.
  // PORT is an index or one of `port_names` (the ports' interfaces in index order).
  void Register(const std::vector<std::string>& port_names, CommandRegistry& commands);

  const NeighbourTable& table() const { return table_; }
  uint64_t hellos_received(size_t port) const { return hellos_received_[port]; }
  uint64_t refused() const { return refused_; }
  uint64_t expired() const { return expired_; }

  void SendHellos();

 private:
  void OnHello(const Message& m, const ReceivedOn& from);
  void Expire();

  NeighbourDiscoveryOptions options_;
  ControlChannel& channel_;
  TimerQueue& timers_;
  NeighbourTable table_;
  std::vector<uint64_t> hellos_received_;
  uint64_t refused_ = 0;
  uint64_t expired_ = 0;
  TimerQueue::TimerId hello_timer_ = 0;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_NEIGHBOUR_DISCOVERY_H_
