// SPDX-License-Identifier: BSD-3-Clause
// SteerObjectFile: the dmpd_steer BPF object, embedded in the binary by its skeleton,
// exposed as a file path for DPDK's af_xdp PMD (`xdp_prog=` takes a path). The file is a
// memfd, so no .o has to be installed or found next to the binary, and nothing is left
// on disk.
#ifndef DMPD_USERSPACE_XDP_STEER_OBJECT_FILE_H_
#define DMPD_USERSPACE_XDP_STEER_OBJECT_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

class SteerObjectFile {
 public:
  static absl::StatusOr<SteerObjectFile> Create();

  // "/proc/self/fd/N": valid in this process for the lifetime of this object.
  std::string path() const;

 private:
  explicit SteerObjectFile(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_XDP_STEER_OBJECT_FILE_H_
