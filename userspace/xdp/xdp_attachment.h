// SPDX-License-Identifier: BSD-3-Clause
// What XDP program an interface carries, whether it is ours, and removing a stale one of
// ours. Ownership is decided here and only here (DP-4, REL-3): we never detach a program
// that this file does not recognise as dmpd's.
#ifndef DMPD_USERSPACE_XDP_XDP_ATTACHMENT_H_
#define DMPD_USERSPACE_XDP_XDP_ATTACHMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dmpd {

enum class XdpMode { kNone, kNative, kGeneric, kOffload, kMulti };
const char* XdpModeName(XdpMode mode);

struct AttachedMap {
  uint32_t id = 0;
  std::string name;
  uint32_t type = 0;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
};

struct AttachedProgram {
  uint32_t id = 0;
  std::string name;
  XdpMode mode = XdpMode::kNone;
  std::vector<AttachedMap> maps;
};

// A loaded program by id: its name and maps (mode stays kNone).
absl::StatusOr<AttachedProgram> DescribeProgram(uint32_t prog_id);

// The program attached to `ifindex` in this network namespace, or nullopt if none.
absl::StatusOr<std::optional<AttachedProgram>> QueryAttachedProgram(int ifindex);

// True if `prog` is a dmpd_steer program: its name and its set of maps (config,
// counters, xsks) are ours. A foreign program that happens to share the name fails the
// map check.
bool IsSteerProgram(const AttachedProgram& prog);

// Detaches `prog` (as returned by QueryAttachedProgram) from `ifindex`, atomically: if
// another program was attached meanwhile, nothing is detached and an error is returned.
absl::Status DetachProgram(int ifindex, const AttachedProgram& prog);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_XDP_ATTACHMENT_H_
