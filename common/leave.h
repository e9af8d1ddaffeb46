// SPDX-License-Identifier: BSD-3-Clause
// Leave: a node leaves the cluster on its own (MON-7) and says why. Payload: one "leave"
// TLV. Receivers keep reasons they do not know (a newer sender's) as the raw number.
#ifndef DMPD_COMMON_LEAVE_H_
#define DMPD_COMMON_LEAVE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"

namespace dmpd {

// X(enumerator, value, "name"). Values are never reused.
#define DMPD_LEAVE_REASONS(X)                                               \
  X(kShutdown, 1, "shutdown") /* operator or service stop */                \
  X(kAllPortsDown, 2, "all_ports_down")                                     \
  X(kLcoreStalled, 3, "lcore_stalled") /* a worker lcore stopped polling */ \
  X(kMemoryLimit, 4, "memory_limit")                                        \
  X(kCpuLimit, 5, "cpu_limit")                                              \
  X(kOperator, 6, "operator") /* dmpdctl asked it to leave */             \
  X(kSustainedLoss, 7, "sustained_loss") /* a port kept losing frames */

enum LeaveReason : uint8_t {
#define DMPD_LEAVE_REASON_ENUM(e, value, name) e = value,
  DMPD_LEAVE_REASONS(DMPD_LEAVE_REASON_ENUM)
#undef DMPD_LEAVE_REASON_ENUM
};
std::string_view LeaveReasonName(uint8_t reason);

struct Leave {
  static constexpr uint8_t kKind = DMPD_KIND_LEAVE;
  uint8_t reason = kShutdown;  // LeaveReason, or a newer one
  uint32_t term = 0;           // the term the node knew when leaving
  friend bool operator==(const Leave&, const Leave&) = default;
};

absl::Status EncodeBody(const Leave& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, Leave* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_LEAVE_H_
