// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace dmpd {
namespace {

constexpr const char* kDefaultBpffs = "/sys/fs/bpf";

bool IsBpffs(const char* path) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

bool DefaultIsBpffsMountPoint(const std::string& path) {
  if (!IsBpffs(path.c_str())) return false;
  struct stat self {}, parent {};
  const std::string up = path == "/" ? "/" : path.substr(0, path.rfind('/'));
  return ::stat(path.c_str(), &self) == 0 && ::stat(up.empty() ? "/" : up.c_str(), &parent) == 0 &&
         self.st_dev != parent.st_dev;
}

absl::StatusOr<PathFacts> Lstat(const std::string& path, bool follow) {
  struct stat st {};
  if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("checking ", path));
  }
  return PathFacts{.path = path,
                   .is_dir = S_ISDIR(st.st_mode),
                   .is_symlink = S_ISLNK(st.st_mode),
                   .uid = st.st_uid,
                   .mode = static_cast<mode_t>(st.st_mode & 07777),
                   .is_sticky_bpffs_root = false};
}

constexpr const char* kPinDirAdvice = "(it holds the pins of the XDP maps, REL-4); fix it or "
                                      "choose another --bpf-pin-dir";

}  // namespace

absl::StatusOr<PinDirVerdict> CheckPinDirComponent(const PathFacts& f, bool in_sticky_root,
                                                   uid_t self) {
  const bool trusted_owner = f.uid == 0 || f.uid == self;
  if (f.is_symlink) {
    if (!trusted_owner) {
      return absl::FailedPreconditionError(
          absl::StrCat("refusing pin directory path: ", f.path, " is a symlink owned by uid ",
                       f.uid, ", not root ", kPinDirAdvice));
    }
    return PinDirVerdict::kFollowLink;
  }
  if (!f.is_dir) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing pin directory path: ", f.path, " is not a directory"));
  }
  if (in_sticky_root ? f.uid != self : !trusted_owner) {
    // In a sticky directory anyone may have made it before us, to read or swap our pins.
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing pin directory ", f.path, ": owned by uid ", f.uid, ", not ",
        in_sticky_root ? "this daemon's user" : "root", " ", kPinDirAdvice,
        " (e.g. `chown root:root ", f.path, "`, or remove it if you did not make it)"));
  }
  if ((f.mode & (S_IWGRP | S_IWOTH)) != 0 &&
      !((f.mode & S_ISVTX) != 0 && f.is_sticky_bpffs_root)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "refusing pin directory %s: mode %04o lets %s create or replace entries in it %s "
        "(e.g. `chmod go-w %s`)",
        f.path, f.mode, (f.mode & S_IWOTH) ? "any user" : "its group", kPinDirAdvice, f.path));
  }
  if (in_sticky_root && (f.mode & 077) != 0) return PinDirVerdict::kTighten;
  return PinDirVerdict::kKeep;
}

absl::Status EnsurePinDir(const std::string& dir, const PinDirOptions& options) {
  if (dir.empty() || dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("pin directory ", dir, ": not absolute"));
  }
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    if (p == "..") {
      return absl::InvalidArgumentError(absl::StrCat("pin directory ", dir, ": contains .."));
    }
    parts.emplace_back(p);
  }
  auto is_mount = options.is_bpffs_mount_point ? options.is_bpffs_mount_point
                                               : DefaultIsBpffsMountPoint;
  const uid_t self = ::geteuid();
  std::string path = "/";
  bool in_sticky_root = false;
  for (size_t i = 0; i <= parts.size(); ++i) {
    if (i > 0) path = absl::StrCat(i == 1 ? "" : path, "/", parts[i - 1]);
    auto facts = Lstat(path, /*follow=*/false);
    if (!facts.ok() && absl::IsNotFound(facts.status())) {
      // Made here, by us: explicit mode (umask aside), then checked like any other, which
      // also catches someone who made it between our lstat and mkdir.
      if (::mkdir(path.c_str(), options.create_mode) != 0 && errno != EEXIST) {
        return absl::ErrnoToStatus(errno, absl::StrCat("creating pin directory ", path));
      }
      facts = Lstat(path, false);
      if (facts.ok() && facts->uid == self && facts->is_dir &&
          (facts->mode & 07777) != options.create_mode) {
        ::chmod(path.c_str(), options.create_mode);
        facts = Lstat(path, false);
      }
    }
    if (!facts.ok()) return facts.status();
    if (facts->is_symlink) {
      // A link is as safe as its owner, and then as what it points to.
      if (auto v = CheckPinDirComponent(*facts, in_sticky_root, self); !v.ok()) {
        return v.status();
      }
      facts = Lstat(path, /*follow=*/true);
      if (!facts.ok()) return facts.status();
    }
    facts->is_sticky_bpffs_root =
        facts->is_dir && (facts->mode & S_ISVTX) != 0 && is_mount(path);
    auto verdict = CheckPinDirComponent(*facts, in_sticky_root, self);
    if (!verdict.ok()) return verdict.status();
    if (*verdict == PinDirVerdict::kTighten && ::chmod(path.c_str(), 0700) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("chmod 0700 ", path));
    }
    in_sticky_root = facts->is_sticky_bpffs_root && (facts->mode & (S_IWGRP | S_IWOTH)) != 0;
  }
  return absl::OkStatus();
}

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
