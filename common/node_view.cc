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
  // First pass: structure and counts, so the vectors are sized once, by what is there.
  size_t ports = 0, pipes = 0;
  absl::Status s = ForEachTlv(value, [&](const Tlv& t) {
    ports += t.Is(TlvType::kPortInfo);
    pipes += t.Is(TlvType::kPipeInfo);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (ports > kMaxNodePorts || pipes > kMaxNodePipes) {
    return DecodeFailure(DecodeError::kTooMany);
  }
  out->ports.resize(ports);
  out->pipes.resize(pipes);
  size_t port_i = 0, pipe_i = 0;
  bool seen_info = false;
  s = ForEachTlv(value, [&](const Tlv& t) {
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
