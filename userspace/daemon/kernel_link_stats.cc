// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/kernel_link_stats.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dmpd {
namespace {

std::optional<std::string> ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace

KernelLinkStats ReadKernelLinkStats(const std::string& sysfs_net_dir, const std::string& ifname) {
  const std::string dir = absl::StrCat(sysfs_net_dir, "/", ifname);
  KernelLinkStats s;
  s.operstate = ReadLine(dir + "/operstate").value_or("unknown");
#define DMPD_READ_COUNTER(name)                                              \
  if (auto v = ReadLine(dir + "/statistics/" #name); v.has_value()) {        \
    uint64_t n = 0;                                                          \
    if (absl::SimpleAtoi(*v, &n)) s.name = n;                                \
  }
  DMPD_KERNEL_LINK_COUNTERS(DMPD_READ_COUNTER)
#undef DMPD_READ_COUNTER
  return s;
}

}  // namespace dmpd
