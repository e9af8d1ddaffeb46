// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/kernel_port_collector.h"

#include "userspace/monitor/read_file.h"

namespace dmpd::monitor {

bool KernelPortView::up() const {
  if (!present || !operstate) return false;
  return *operstate == "up" || (*operstate == "unknown" && carrier.value_or(false));
}

KernelPortView KernelPortCollector::Read(std::string_view ifname) const {
  KernelPortView v;
  const std::filesystem::path dir = sysfs_root_ / "class/net" / ifname;
  std::error_code ec;
  v.present = std::filesystem::is_directory(dir, ec);
  if (!v.present) return v;

  if (absl::StatusOr<std::string> s = ReadFirstLine(dir / "operstate"); s.ok()) v.operstate = *s;
  if (std::optional<uint64_t> c = ReadUint64File(dir / "carrier")) v.carrier = *c != 0;
  // A speed of -1 (unknown) or 0 is as good as none.
  if (std::optional<int64_t> s = ReadInt64File(dir / "speed"); s && *s > 0) {
    v.speed_mbps = static_cast<uint64_t>(*s);
  }
  if (std::optional<uint64_t> m = ReadUint64File(dir / "mtu")) {
    v.mtu_bytes = static_cast<uint32_t>(*m);
  }
  for (size_t i = 0; i < kKernelCounters.size(); ++i) {
    v.counters.total[i] = ReadUint64File(dir / "statistics" / kKernelCounters[i].key);
  }
  if (link_params_ != nullptr) {
    if (absl::StatusOr<RingSizes> r = link_params_->ReadRings(ifname); r.ok()) v.rings = *r;
    if (absl::StatusOr<ChannelCounts> c = link_params_->ReadChannels(ifname); c.ok()) {
      v.channels = *c;
    }
  }
  return v;
}

}  // namespace dmpd::monitor
