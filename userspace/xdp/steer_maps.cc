// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/steer_maps.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "userspace/xdp/bpffs.h"

namespace dmpd {
namespace {

// The pins, in the order Pin makes them: "carried" before "counters", so that a crash
// between the two renames counts the old run's frames twice rather than never.
constexpr const char* kPinNames[] = {"config", "carried", "counters"};
// Not ".new": bpffs reserves names with dots (EPERM).
constexpr const char* kTmpSuffix = "_new";
constexpr size_t kCounterCount = sizeof(dmpd_steer_counters) / sizeof(__u64);

absl::StatusOr<bpf_map_info> MapInfo(int fd, const std::string& what) {
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading info of ", what));
  }
  return info;
}

// Entry 0 of a counters map (summed over CPUs if per-CPU), read by position: counters are
// only ever appended to DMPD_STEER_COUNTERS, so a map of an older or newer layout shares
// its first min(value_size, ours) bytes with ours.
absl::StatusOr<dmpd_steer_counters> ReadByPosition(int fd, const bpf_map_info& info) {
  const bool per_cpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
  size_t slots = 1;
  if (per_cpu) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return absl::ErrnoToStatus(-cpus, "counting possible CPUs");
    slots = static_cast<size_t>(cpus);
  }
  const size_t stride = (info.value_size + 7) / 8;  // per-CPU values are 8-byte aligned
  std::vector<__u64> raw(stride * slots);
  __u32 key = 0;
  if (bpf_map_lookup_elem(fd, &key, raw.data()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading map ", info.name));
  }
  __u64 sum[kCounterCount] = {};
  const size_t n = std::min<size_t>(kCounterCount, info.value_size / 8);
  for (size_t s = 0; s < slots; ++s) {
    for (size_t i = 0; i < n; ++i) sum[i] += raw[s * stride + i];
  }
  dmpd_steer_counters out{};
  std::memcpy(&out, sum, sizeof(out));
  return out;
}

// A map of ours that holds counters: right name and type, key __u32, one or more entries,
// a value made of __u64 counters.
bool IsCountersMap(const bpf_map_info& info, const char* name, uint32_t type) {
  return info.type == type && std::strcmp(info.name, name) == 0 && info.key_size == 4 &&
         info.max_entries >= 1 && info.value_size > 0 && info.value_size % 8 == 0;
}

// Adds the map behind `fd` into `out` if it is a counters map of ours not counted yet.
absl::Status AddLeftover(int fd, const std::string& what, const char* name, uint32_t type,
                         std::vector<uint32_t>& seen, LeftoverCounters& out) {
  auto info = MapInfo(fd, what);
  if (!info.ok()) return info.status();
  if (!IsCountersMap(*info, name, type)) return absl::OkStatus();  // not ours: leave it
  if (std::find(seen.begin(), seen.end(), info->id) != seen.end()) return absl::OkStatus();
  seen.push_back(info->id);
  auto values = ReadByPosition(fd, *info);
  if (!values.ok()) return values.status();
  AccumulateCounters(out.counters, *values);
  out.sources.push_back(absl::StrCat(what, " (map id ", info->id, ")"));
  return absl::OkStatus();
}

// An ARRAY holding `values`, typed with the counters map's BTF so that bpftool prints the
// field names of the carried counters as it does for the live ones.
absl::StatusOr<UniqueFd> CreateCarriedMap(int counters_fd, const dmpd_steer_counters& values) {
  auto info = MapInfo(counters_fd, "the counters map");
  if (!info.ok()) return info.status();
  UniqueFd btf;
  LIBBPF_OPTS(bpf_map_create_opts, opts);
  if (info->btf_id != 0 && info->btf_value_type_id != 0) {
    btf = UniqueFd(bpf_btf_get_fd_by_id(info->btf_id));
    if (btf.valid()) {
      opts.btf_fd = static_cast<__u32>(btf.get());
      opts.btf_key_type_id = info->btf_key_type_id;
      opts.btf_value_type_id = info->btf_value_type_id;
    }
  }
  UniqueFd fd(bpf_map_create(BPF_MAP_TYPE_ARRAY, DMPD_STEER_CARRIED_MAP, sizeof(__u32),
                             sizeof(dmpd_steer_counters), 1, &opts));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "creating the carried-over counters map");
  __u32 key = 0;
  if (bpf_map_update_elem(fd.get(), &key, &values, BPF_ANY) != 0) {
    return absl::ErrnoToStatus(errno, "writing the carried-over counters");
  }
  return fd;
}

}  // namespace

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

std::map<std::string, uint64_t> CountersByName(const dmpd_steer_counters& c) {
  std::map<std::string, uint64_t> out;
#define DMPD_BY_NAME(name, desc) out[#name] = c.name;
  DMPD_STEER_COUNTERS(DMPD_BY_NAME)
#undef DMPD_BY_NAME
  return out;
}

std::string FormatNonZeroCounters(const dmpd_steer_counters& c) {
  std::vector<std::string> parts;
#define DMPD_NON_ZERO(name, desc) \
  if (c.name != 0) parts.push_back(absl::StrCat(#name, "=", c.name));
  DMPD_STEER_COUNTERS(DMPD_NON_ZERO)
#undef DMPD_NON_ZERO
  return parts.empty() ? "none" : absl::StrJoin(parts, " ");
}

absl::StatusOr<LeftoverCounters> ReadLeftoverCounters(const std::string& pin_dir,
                                                      const AttachedProgram* stale) {
  LeftoverCounters out;
  std::vector<uint32_t> seen;
  const std::pair<const char*, std::pair<const char*, uint32_t>> pins[] = {
      {"counters", {DMPD_STEER_COUNTERS_MAP, BPF_MAP_TYPE_PERCPU_ARRAY}},
      {"carried", {DMPD_STEER_CARRIED_MAP, BPF_MAP_TYPE_ARRAY}}};
  for (const auto& [file, kind] : pins) {
    const std::string path = absl::StrCat(pin_dir, "/", file);
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;  // no crash left anything here
      return absl::ErrnoToStatus(errno, absl::StrCat("opening the stale pin ", path));
    }
    if (absl::Status s = AddLeftover(fd.get(), path, kind.first, kind.second, seen, out);
        !s.ok()) {
      return s;
    }
  }
  // The stale program's own counters, in case they were never pinned (a crash between
  // attach and pin) or the pin points at an older run's map.
  if (stale != nullptr) {
    for (const AttachedMap& m : stale->maps) {
      if (m.name != DMPD_STEER_COUNTERS_MAP) continue;
      UniqueFd fd(bpf_map_get_fd_by_id(m.id));
      if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("opening map id ", m.id));
      if (absl::Status s = AddLeftover(fd.get(), absl::StrCat("program id ", stale->id),
                                       DMPD_STEER_COUNTERS_MAP, BPF_MAP_TYPE_PERCPU_ARRAY,
                                       seen, out);
          !s.ok()) {
        return s;
      }
    }
  }
  return out;
}

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

absl::Status SteerMaps::Configure(const SteerSettings& settings,
                                  const std::optional<std::array<uint8_t, 6>>& port_mac) {
  dmpd_steer_config cfg{};
  cfg.ethertype = htons(settings.ethertype);
  cfg.cluster_id = htonl(settings.cluster_id);
  cfg.flags = settings.filter_other_clusters ? DMPD_STEER_F_FILTER_CLUSTER : 0;
  if (settings.local_node) {
    cfg.local_node = htons(*settings.local_node);
    cfg.flags |= DMPD_STEER_F_FILTER_NODE;
  }
  if (port_mac && !settings.accept_foreign_unicast) {
    std::copy(port_mac->begin(), port_mac->end(), cfg.port_mac);
    cfg.flags |= DMPD_STEER_F_FILTER_UNICAST;
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
  dmpd_steer_counters total = carried_;
  for (const auto& c : per_cpu) AccumulateCounters(total, c);
  return total;
}

absl::Status SteerMaps::Pin(const std::string& dir) {
  if (absl::Status s = EnsurePinDir(dir); !s.ok()) return s;
  auto carried = CreateCarriedMap(counters_.get(), carried_);
  if (!carried.ok()) return carried.status();
  carried_map_ = *std::move(carried);
  pin_dir_ = dir;
  const int fds[] = {config_.get(), carried_map_.get(), counters_.get()};
  for (size_t i = 0; i < std::size(fds); ++i) {
    // Pinned under a temporary name and renamed over the stale pin: the path always names
    // a map, the old run's until the new one takes its place.
    const std::string path = absl::StrCat(dir, "/", kPinNames[i]);
    const std::string tmp = absl::StrCat(path, kTmpSuffix);
    ::unlink(tmp.c_str());  // left by a crash between pin and rename
    if (bpf_obj_pin(fds[i], tmp.c_str()) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("pinning ", tmp));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return absl::ErrnoToStatus(err, absl::StrCat("replacing the pin ", path));
    }
  }
  return absl::OkStatus();
}

void SteerMaps::Unpin() {
  if (pin_dir_.empty()) return;
  for (const char* name : kPinNames) {
    ::unlink(absl::StrCat(pin_dir_, "/", name).c_str());
    ::unlink(absl::StrCat(pin_dir_, "/", name, kTmpSuffix).c_str());
  }
  ::rmdir(pin_dir_.c_str());
  pin_dir_.clear();
}

}  // namespace dmpd
