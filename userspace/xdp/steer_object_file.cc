// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/steer_object_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dmpd_steer.skel.h"

namespace dmpd {

absl::StatusOr<SteerObjectFile> SteerObjectFile::Create() {
  size_t size = 0;
  const auto* bytes = static_cast<const char*>(dmpd_steer::elf_bytes(&size));
  UniqueFd fd(memfd_create("dmpd_steer.bpf.o", MFD_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "memfd_create for the BPF object");
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd.get(), bytes + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "writing the BPF object to its memfd");
    }
    done += static_cast<size_t>(n);
  }
  return SteerObjectFile(std::move(fd));
}

std::string SteerObjectFile::path() const { return absl::StrCat("/proc/self/fd/", fd_.get()); }

}  // namespace dmpd
