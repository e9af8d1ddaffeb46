// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/vs_steer_maps.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "userspace/xdp/steer_maps.h"

namespace dmpd {
namespace {

dmpd_vs_service_key WireKey(const VsSteering::Service& s) {
  dmpd_vs_service_key k{};
  k.vip = htonl(s.vip);
  k.port = htons(s.port);
  k.proto = s.proto;
  return k;
}

std::map<uint32_t, uint32_t> VipCounts(const VsSteering& s) {
  std::map<uint32_t, uint32_t> vips;
  for (const VsSteering::Service& svc : s.services) ++vips[svc.vip];
  return vips;
}

absl::Status Errno(const char* what) { return absl::ErrnoToStatus(errno, what); }

}  // namespace

absl::StatusOr<VsSteerMaps> VsSteerMaps::Open(const AttachedProgram& prog) {
  auto config = OpenCheckedMap(prog, DMPD_VS_CONFIG_MAP, sizeof(__u32), sizeof(dmpd_vs_config));
  if (!config.ok()) return config.status();
  auto services = OpenCheckedMap(prog, DMPD_VS_SERVICES_MAP, sizeof(dmpd_vs_service_key),
                                 sizeof(__u32));
  if (!services.ok()) return services.status();
  auto vips = OpenCheckedMap(prog, DMPD_VS_VIPS_MAP, sizeof(__be32), sizeof(__u32));
  if (!vips.ok()) return vips.status();
  auto counters = OpenCheckedMap(prog, DMPD_VS_COUNTERS_MAP, sizeof(__u32),
                                 sizeof(dmpd_vs_counters));
  if (!counters.ok()) return counters.status();
  return VsSteerMaps(*std::move(config), *std::move(services), *std::move(vips),
                     *std::move(counters));
}

absl::Status VsSteerMaps::Apply(const VsSteering& want) {
  if (want == applied_ && magic_on_ == !want.services.empty()) return absl::OkStatus();
  const __u32 zero = 0;
  if (want.services.empty() && magic_on_) {  // off first: the program stops looking
    dmpd_vs_config off{};
    if (bpf_map_update_elem(config_.get(), &zero, &off, BPF_ANY) != 0) {
      return Errno("clearing dmpd_vs_cfg");
    }
    magic_on_ = false;
  }
  // applied_ follows every write that succeeds, so a failure part way leaves it true to
  // the maps and the next Apply finishes the job.
  const std::map<uint32_t, uint32_t> vips = VipCounts(want);
  for (const auto& [vip, count] : vips) {
    const __be32 key = htonl(vip);
    if (bpf_map_update_elem(vips_.get(), &key, &count, BPF_ANY) != 0) {
      return Errno("writing dmpd_vs_vips");
    }
    vips_applied_.insert(vip);
  }
  for (const VsSteering::Service& s : want.services) {
    if (applied_.services.contains(s)) continue;
    const dmpd_vs_service_key key = WireKey(s);
    const __u32 one = 1;
    if (bpf_map_update_elem(services_.get(), &key, &one, BPF_ANY) != 0) {
      return Errno("writing dmpd_vs_svc");
    }
    applied_.services.insert(s);
  }
  for (auto it = applied_.services.begin(); it != applied_.services.end();) {
    if (want.services.contains(*it)) {
      ++it;
      continue;
    }
    const dmpd_vs_service_key key = WireKey(*it);
    if (bpf_map_delete_elem(services_.get(), &key) != 0 && errno != ENOENT) {
      return Errno("removing from dmpd_vs_svc");
    }
    it = applied_.services.erase(it);
  }
  for (auto it = vips_applied_.begin(); it != vips_applied_.end();) {
    if (vips.contains(*it)) {
      ++it;
      continue;
    }
    const __be32 key = htonl(*it);
    if (bpf_map_delete_elem(vips_.get(), &key) != 0 && errno != ENOENT) {
      return Errno("removing from dmpd_vs_vips");
    }
    it = vips_applied_.erase(it);
  }
  if (!want.services.empty()) {
    const dmpd_vs_config on{DMPD_VS_CONFIG_MAGIC, want.vdport_first, want.vdport_last};
    if (bpf_map_update_elem(config_.get(), &zero, &on, BPF_ANY) != 0) {
      return Errno("writing dmpd_vs_cfg");
    }
    magic_on_ = true;
  }
  applied_.vdport_first = want.vdport_first;
  applied_.vdport_last = want.vdport_last;
  return absl::OkStatus();
}

absl::StatusOr<dmpd_vs_counters> VsSteerMaps::ReadCounters() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return absl::ErrnoToStatus(-cpus, "counting possible CPUs");
  std::vector<dmpd_vs_counters> per_cpu(static_cast<size_t>(cpus));
  const __u32 zero = 0;
  if (bpf_map_lookup_elem(counters_.get(), &zero, per_cpu.data()) != 0) {
    return Errno("reading dmpd_vs_count");
  }
  dmpd_vs_counters sum{};
  for (const dmpd_vs_counters& c : per_cpu) {
#define DMPD_VS_SUM(name, desc) sum.name += c.name;
    DMPD_VS_COUNTERS(DMPD_VS_SUM)
#undef DMPD_VS_SUM
  }
  return sum;
}

}  // namespace dmpd
