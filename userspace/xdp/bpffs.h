// SPDX-License-Identifier: BSD-3-Clause
// Pins need a bpf filesystem. systemd mounts one at /sys/fs/bpf on most hosts; where
// nobody did, we mount it, as bpftool and Cilium do. And pins are only as private as the
// directories above them (REL-4): anyone who can write to one of them can swap our
// counters or config for maps of their own, so the pin directory's path is checked.
#ifndef DMPD_USERSPACE_XDP_BPFFS_H_
#define DMPD_USERSPACE_XDP_BPFFS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dmpd {

// Ensures `pin_dir` lies on a bpf filesystem, mounting one at /sys/fs/bpf if `pin_dir` is
// below it and nothing is mounted there. Fails with advice otherwise.
absl::Status EnsureBpffsFor(const std::string& pin_dir);

// What the pin directory check knows of one existing component of the path (lstat).
struct PathFacts {
  std::string path;
  bool is_dir = false;
  bool is_symlink = false;
  uid_t uid = 0;
  mode_t mode = 0;  // permission bits with the sticky bit (st_mode & 07777)
  // A sticky mount point of a bpf filesystem: the one place where a world-writable
  // directory is tolerated (some hosts mount /sys/fs/bpf 1777; the sticky bit keeps
  // others from removing or renaming what we make in it).
  bool is_sticky_bpffs_root = false;
};

enum class PinDirVerdict {
  kKeep,          // safe as it is
  kFollowLink,    // a symlink we trust: check what it points to
  kTighten,       // ours, directly in the sticky bpffs root, but not 0700: chmod it
};

// The rule for one component (REL-4). `self` is the daemon's euid; root (uid 0) is
// always trusted. `in_sticky_root`: the component's parent is the sticky bpffs root, so
// the component must be ours and 0700 (anyone could have created it first).
absl::StatusOr<PinDirVerdict> CheckPinDirComponent(const PathFacts& facts, bool in_sticky_root,
                                                   uid_t self);

struct PinDirOptions {
  // Whether `path` (a sticky, world-writable directory) is a bpf filesystem's mount point.
  // Tests substitute their own; the default asks statfs and compares st_dev with the parent.
  std::function<bool(const std::string& path)> is_bpffs_mount_point;
  mode_t create_mode = 0700;
};

// Checks every existing component of `dir` (absolute, no "..") from "/" down with
// CheckPinDirComponent and creates the missing ones with options.create_mode, so that
// only root (and the daemon's user) can place or replace pins in it.
absl::Status EnsurePinDir(const std::string& dir, const PinDirOptions& options = {});

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_BPFFS_H_
