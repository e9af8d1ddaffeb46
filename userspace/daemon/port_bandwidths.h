// SPDX-License-Identifier: BSD-3-Clause
// PortBandwidths: BW of eq. (3) set by an operator at run time for single ports
// (`dmpdctl port-bandwidth PORT MBPS|default`). It wins over the link speed the interface
// reports: the capacity that matters is the narrowest point, and a switch port, a
// provider's cap or a shaper may be slower than the NIC (the lab's `dmpd-lab shape` tells a
// daemon its shaped ports' rate this way). `default` goes back to the link speed, else the
// configured `port_bandwidth_mbps`.
#ifndef DMPD_USERSPACE_DAEMON_PORT_BANDWIDTHS_H_
#define DMPD_USERSPACE_DAEMON_PORT_BANDWIDTHS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "userspace/monitor/sample_inputs.h"
#include "userspace/runtime/command_registry.h"

namespace dmpd {

class PortBandwidths {
 public:
  explicit PortBandwidths(size_t ports) : override_mbps_(ports) {}

  // Sets each port's override_bandwidth_bits_per_second in the monitor's inputs.
  void Apply(monitor::SampleInputs& in) const;

  // `port-bandwidth PORT MBPS|default` (PORT an index or one of `port_names`), and each
  // port's override in `status`.
  void Register(const std::vector<std::string>& port_names, CommandRegistry& commands);

 private:
  std::vector<std::optional<uint64_t>> override_mbps_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_PORT_BANDWIDTHS_H_
