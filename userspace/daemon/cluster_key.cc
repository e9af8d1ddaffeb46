// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/cluster_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {
namespace {

constexpr size_t kMaxKeyFile = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<FrameAuth>> LoadClusterKey(const std::string& path) {
  // O_NOFOLLOW: the file itself is checked, not what a link points to.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cluster_key_file ", path));
  }
  struct stat st{};
  if (fstat(fd.get(), &st) != 0) return absl::ErrnoToStatus(errno, "fstat");
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("cluster_key_file ", path, ": not a file"));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cluster_key_file ", path, ": owned by uid ", st.st_uid, ", not by this user or root"));
  }
  if ((st.st_mode & 0077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "cluster_key_file %s: mode %04o lets others read or change the key; run "
        "`chmod 600 %s`",
        path, st.st_mode & 07777, path));
  }
  std::vector<uint8_t> key(kMaxKeyFile + 1);
  size_t len = 0;
  while (len < key.size()) {
    const ssize_t n = read(fd.get(), key.data() + len, key.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading ", path));
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  if (len > kMaxKeyFile) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster_key_file ", path, ": longer than ", kMaxKeyFile, " bytes"));
  }
  if (len > 0 && key[len - 1] == '\n') --len;  // written with echo
  key.resize(len);
  auto auth = FrameAuth::Create(key);
  if (!auth.ok()) {
    return absl::Status(auth.status().code(),
                        absl::StrCat("cluster_key_file ", path, ": ", auth.status().message()));
  }
  return auth;
}

}  // namespace dmpd
