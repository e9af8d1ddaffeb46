// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/steer_maps.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd {
namespace {

absl::StatusOr<UniqueFd> OpenCheckedMap(const AttachedProgram& prog, const char* name,
                                        uint32_t key_size, uint32_t value_size) {
  for (const AttachedMap& m : prog.maps) {
    if (m.name != name) continue;
    if (m.key_size != key_size || m.value_size != value_size) {
      return absl::FailedPreconditionError(absl::StrCat(
          "map ", name, " (id ", m.id, ") has key/value sizes ", m.key_size, "/", m.value_size,
          " but this daemon expects ", key_size, "/", value_size,
          ": the attached program was built from another version of common/xdp_steer.h"));
    }
    UniqueFd fd(bpf_map_get_fd_by_id(m.id));
    if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("opening map ", name));
    return fd;
  }
  return absl::NotFoundError(absl::StrCat("program id ", prog.id, " has no map ", name));
}

constexpr const char* kPinNames[] = {"config", "counters"};

}  // namespace

void AccumulateCounters(dmpd_steer_counters& a, const dmpd_steer_counters& b) {
#define DMPD_ADD_COUNTER(name, desc) a.name += b.name;
  DMPD_STEER_COUNTERS(DMPD_ADD_COUNTER)
#undef DMPD_ADD_COUNTER
}

absl::StatusOr<SteerMaps> SteerMaps::Open(const AttachedProgram& prog) {
  auto config = OpenCheckedMap(prog, DMPD_STEER_CONFIG_MAP, sizeof(__u32),
                               sizeof(dmpd_steer_config));
  if (!config.ok()) return config.status();
  auto counters = OpenCheckedMap(prog, DMPD_STEER_COUNTERS_MAP, sizeof(__u32),
                                 sizeof(dmpd_steer_counters));
  if (!counters.ok()) return counters.status();
  return SteerMaps(*std::move(config), *std::move(counters));
}

absl::Status SteerMaps::Configure(const SteerSettings& settings) {
  dmpd_steer_config cfg{};
  cfg.ethertype = htons(settings.ethertype);
  cfg.cluster_id = htonl(settings.cluster_id);
  cfg.flags = settings.filter_other_clusters ? DMPD_STEER_F_FILTER_CLUSTER : 0;
  if (settings.local_node) {
    cfg.local_node = htons(*settings.local_node);
    cfg.flags |= DMPD_STEER_F_FILTER_NODE;
  }
  // One map update replaces the whole value: the program never sees a half-written one.
  cfg.magic = DMPD_STEER_CONFIG_MAGIC;
  __u32 key = 0;
  if (bpf_map_update_elem(config_.get(), &key, &cfg, BPF_ANY) != 0) {
    return absl::ErrnoToStatus(errno, "writing the XDP program's configuration");
  }
  return absl::OkStatus();
}

absl::StatusOr<dmpd_steer_counters> SteerMaps::ReadCounters() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return absl::ErrnoToStatus(-cpus, "counting possible CPUs");
  std::vector<dmpd_steer_counters> per_cpu(static_cast<size_t>(cpus));
  __u32 key = 0;
  if (bpf_map_lookup_elem(counters_.get(), &key, per_cpu.data()) != 0) {
    return absl::ErrnoToStatus(errno, "reading the XDP counters");
  }
  dmpd_steer_counters total{};
  for (const auto& c : per_cpu) AccumulateCounters(total, c);
  return total;
}

absl::Status SteerMaps::Pin(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating pin dir ", dir, ": ", ec.message()));
  ::chmod(dir.c_str(), 0750);  // REL-4: counters are for root and the dmpd group
  pin_dir_ = dir;
  const int fds[] = {config_.get(), counters_.get()};
  for (size_t i = 0; i < std::size(fds); ++i) {
    std::string path = absl::StrCat(dir, "/", kPinNames[i]);
    ::unlink(path.c_str());  // a stale pin from a crashed run
    if (bpf_obj_pin(fds[i], path.c_str()) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("pinning ", path));
    }
  }
  return absl::OkStatus();
}

void SteerMaps::Unpin() {
  if (pin_dir_.empty()) return;
  for (const char* name : kPinNames) ::unlink(absl::StrCat(pin_dir_, "/", name).c_str());
  ::rmdir(pin_dir_.c_str());
  pin_dir_.clear();
}

}  // namespace dmpd
