// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/xdp/xdp_attachment.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/xdp_steer.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

const char* XdpModeName(XdpMode mode) {
  switch (mode) {
    case XdpMode::kNone:
      return "none";
    case XdpMode::kNative:
      return "native";
    case XdpMode::kGeneric:
      return "generic";
    case XdpMode::kOffload:
      return "offload";
    case XdpMode::kMulti:
      return "multi";
  }
  return "unknown";
}

namespace {

XdpMode ModeFromAttach(uint8_t attach_mode) {
  switch (attach_mode) {
    case XDP_ATTACHED_DRV:
      return XdpMode::kNative;
    case XDP_ATTACHED_SKB:
      return XdpMode::kGeneric;
    case XDP_ATTACHED_HW:
      return XdpMode::kOffload;
    case XDP_ATTACHED_MULTI:
      return XdpMode::kMulti;
    default:
      return XdpMode::kNone;
  }
}

absl::StatusOr<AttachedMap> DescribeMap(uint32_t id) {
  UniqueFd fd(bpf_map_get_fd_by_id(id));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("opening map id ", id));
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading info of map id ", id));
  }
  return AttachedMap{id, info.name, info.type, info.key_size, info.value_size};
}

}  // namespace

absl::StatusOr<AttachedProgram> DescribeProgram(uint32_t prog_id) {
  AttachedProgram prog;
  prog.id = prog_id;
  UniqueFd fd(bpf_prog_get_fd_by_id(prog.id));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrCat("opening XDP program id ", prog.id));
  }
  // Two passes: the first learns how many maps there are, the second fetches their ids.
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading info of program id ", prog.id));
  }
  std::vector<__u32> map_ids(info.nr_map_ids);
  prog.name = info.name;
  bpf_prog_info with_maps{};
  with_maps.nr_map_ids = static_cast<__u32>(map_ids.size());
  with_maps.map_ids = reinterpret_cast<__u64>(map_ids.data());
  len = sizeof(with_maps);
  if (bpf_obj_get_info_by_fd(fd.get(), &with_maps, &len) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("reading maps of program id ", prog.id));
  }
  map_ids.resize(std::min<size_t>(map_ids.size(), with_maps.nr_map_ids));
  for (__u32 id : map_ids) {
    auto map = DescribeMap(id);
    if (!map.ok()) return map.status();
    prog.maps.push_back(*std::move(map));
  }
  return prog;
}

absl::StatusOr<std::optional<AttachedProgram>> QueryAttachedProgram(int ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  if (int err = bpf_xdp_query(ifindex, 0, &query); err != 0) {
    return absl::ErrnoToStatus(-err, absl::StrCat("querying XDP on ifindex ", ifindex));
  }
  if (query.prog_id == 0) return std::nullopt;

  auto prog = DescribeProgram(query.prog_id);
  if (!prog.ok()) return prog.status();
  prog->mode = ModeFromAttach(query.attach_mode);
  return *std::move(prog);
}

bool IsSteerProgram(const AttachedProgram& prog) {
  if (prog.name != DMPD_STEER_PROG_NAME) return false;
  auto has_map = [&](const char* name, uint32_t type) {
    return std::any_of(prog.maps.begin(), prog.maps.end(), [&](const AttachedMap& m) {
      return m.name == name && m.type == type;
    });
  };
  return has_map(DMPD_STEER_CONFIG_MAP, BPF_MAP_TYPE_ARRAY) &&
         has_map(DMPD_STEER_COUNTERS_MAP, BPF_MAP_TYPE_PERCPU_ARRAY) &&
         has_map(DMPD_STEER_XSKS_MAP, BPF_MAP_TYPE_XSKMAP);
}

absl::Status DetachProgram(int ifindex, const AttachedProgram& prog) {
  UniqueFd fd(bpf_prog_get_fd_by_id(prog.id));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrCat("opening XDP program id ", prog.id));
  }
  // The mode flag must match how it was attached, or the kernel looks in the wrong slot.
  __u32 flags = XDP_FLAGS_REPLACE;
  if (prog.mode == XdpMode::kNative) flags |= XDP_FLAGS_DRV_MODE;
  if (prog.mode == XdpMode::kGeneric) flags |= XDP_FLAGS_SKB_MODE;
  if (prog.mode == XdpMode::kOffload) flags |= XDP_FLAGS_HW_MODE;
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = fd.get());
  if (int err = bpf_xdp_detach(ifindex, flags, &opts); err != 0) {
    return absl::ErrnoToStatus(-err, absl::StrCat("detaching XDP program id ", prog.id));
  }
  return absl::OkStatus();
}

}  // namespace dmpd
