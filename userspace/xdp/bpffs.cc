// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dmpd {
namespace {

constexpr const char* kDefaultBpffs = "/sys/fs/bpf";

bool IsBpffs(const char* path) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

}  // namespace

absl::Status EnsureBpffsFor(const std::string& pin_dir) {
  if (!absl::StartsWith(pin_dir, kDefaultBpffs)) {
    return absl::OkStatus();  // the operator chose the place; Pin() reports problems there
  }
  if (IsBpffs(kDefaultBpffs)) return absl::OkStatus();
  if (::mount("bpf", kDefaultBpffs, "bpf", 0, "mode=0700") != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("no bpf filesystem at ", kDefaultBpffs,
                            " and mounting one failed; run `mount -t bpf bpf ", kDefaultBpffs,
                            "` or choose another --bpf-pin-dir"));
  }
  return absl::OkStatus();
}

}  // namespace dmpd
