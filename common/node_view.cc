// SPDX-License-Identifier: BSD-3-Clause
#include "common/node_view.h"

#include "common/fixed_tlv.h"
#include "common/protocol_limits.h"

namespace dmpd {

void EncodeNodeView(const NodeView& v, TlvWriter* w) {
  const size_t at = w->Begin(TlvType::kNode);
  EncodeGroup(v.info, w);
  for (const PortInfo& p : v.ports) EncodeGroup(p, w);
  for (const PipeInfo& p : v.pipes) EncodeGroup(p, w);
  w->End(at);
}

absl::Status DecodeNodeView(std::span<const uint8_t> value, NodeView* out) {
  absl::StatusOr<size_t> ports = CountTlvs(value, TlvType::kPortInfo, kMaxNodePorts);
  if (!ports.ok()) return ports.status();
  absl::StatusOr<size_t> pipes = CountTlvs(value, TlvType::kPipeInfo, kMaxNodePipes);
  if (!pipes.ok()) return pipes.status();
  out->ports.resize(*ports);
  out->pipes.resize(*pipes);
  size_t port_i = 0, pipe_i = 0;
  bool seen_info = false;
  absl::Status s = ForEachTlv(value, [&](const Tlv& t) {
    if (t.Is(TlvType::kNodeInfo)) {
      if (absl::Status m = MarkSeen(&seen_info); !m.ok()) return m;
      return DecodeGroup(t.value, &out->info);
    }
    if (t.Is(TlvType::kPortInfo)) return DecodeGroup(t.value, &out->ports[port_i++]);
    if (t.Is(TlvType::kPipeInfo)) return DecodeGroup(t.value, &out->pipes[pipe_i++]);
    return SkipUnknownTlv(t);
  });
  if (!s.ok()) return s;
  return seen_info ? absl::OkStatus() : DecodeFailure(DecodeError::kMissingField);
}

}  // namespace dmpd
