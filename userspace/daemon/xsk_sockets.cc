// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/xsk_sockets.h"

#include <dirent.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace dmpd {

std::vector<int> FindXskFds() {
  std::vector<int> found;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return found;
  while (dirent* e = readdir(dir)) {
    int fd = atoi(e->d_name);
    if (fd <= 2 || fd == dirfd(dir)) continue;
    int domain = 0;
    socklen_t len = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_XDP) {
      found.push_back(fd);
    }
  }
  closedir(dir);
  std::sort(found.begin(), found.end());
  return found;
}

std::optional<xdp_statistics> ReadXskStatistics(int fd) {
  xdp_statistics stats{};
  socklen_t len = sizeof(stats);
  if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &stats, &len) != 0) return std::nullopt;
  return stats;
}

}  // namespace dmpd
