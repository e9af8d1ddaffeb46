// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/port_picker.h"

namespace dmpd::lb {

uint8_t PickSendPort(const PortTable& local, uint32_t hash) {
  if (local.size() == 0) return kNoPort;
  const auto hashed = static_cast<uint8_t>(hash % local.size());
  const PortEntry& p = local.port(hashed);
  if (p.available && !p.overloaded) return hashed;
  return local.LeastLoadedSpread(hash);
}

uint8_t PickReceivePort(const PortTable& destination, uint32_t hash) {
  return destination.LeastLoadedSpread(hash);
}

}  // namespace dmpd::lb
