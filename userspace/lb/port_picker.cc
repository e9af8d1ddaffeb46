// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/port_picker.h"

namespace dmpd::lb {

uint8_t PickSendPort(const PortTable& local, const LoadLedger& ledger, uint32_t hash) {
  if (local.size() == 0) return kNoPort;
  const auto hashed = static_cast<uint8_t>(hash % local.size());
  if (local.port(hashed).available && !ledger.Overloaded(local, hashed)) return hashed;
  return ledger.LeastLoadedSpread(local, hash);
}

uint8_t PickReceivePort(const PortTable& destination, const LoadLedger& ledger, uint32_t hash) {
  return ledger.LeastLoadedSpread(destination, hash);
}

}  // namespace dmpd::lb
