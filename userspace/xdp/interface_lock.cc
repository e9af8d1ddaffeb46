// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/interface_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd {

absl::StatusOr<InterfaceLock> InterfaceLock::Acquire(const std::string& lock_dir,
                                                     const std::string& ifname) {
  // Interface names repeat across namespaces; the namespace's inode tells them apart.
  struct stat ns {};
  if (::stat("/proc/self/ns/net", &ns) != 0) {
    return absl::ErrnoToStatus(errno, "reading this process's network namespace");
  }
  std::error_code ec;
  std::filesystem::create_directories(lock_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", lock_dir, ": ", ec.message()));
  std::string path = absl::StrCat(lock_dir, "/netns", ns.st_ino, "-", ifname, ".lock");
  // The holder unlinks the file when it exits; if that happened between our open and our
  // flock, we locked an orphan that the next daemon would not see: open again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", path));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return absl::UnavailableError(
            absl::StrCat(ifname, " is in use by another running dmpdd (lock ", path, ")"));
      }
      return absl::ErrnoToStatus(errno, absl::StrCat("locking ", path));
    }
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      return InterfaceLock(std::move(fd), std::move(path));
    }
  }
  return absl::UnavailableError(absl::StrCat("could not lock ", path, " (keeps changing)"));
}

InterfaceLock::~InterfaceLock() {
  if (fd_.valid()) ::unlink(path_.c_str());
}

}  // namespace dmpd
