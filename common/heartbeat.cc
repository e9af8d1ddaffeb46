// SPDX-License-Identifier: BSD-3-Clause
#include "common/heartbeat.h"

#include "common/cycle_stamp.h"
#include "common/fixed_tlv.h"
#include "common/protocol_limits.h"

namespace dmpd {
namespace {

using ViewLayout = CycleStampLayout<TlvType::kView, Heartbeat, &Heartbeat::master_time_ns>;

}  // namespace

absl::Status EncodeBody(const Heartbeat& m, std::vector<uint8_t>* out) {
  if (m.nodes.size() > kMaxViewNodes) {
    return absl::InvalidArgumentError("a view holds at most kMaxViewNodes nodes");
  }
  TlvWriter w(out);
  EncodeFixedTlv<ViewLayout>(m, &w);
  for (const NodeView& n : m.nodes) EncodeNodeView(n, &w);
  return w.status();
}

absl::Status DecodeBody(std::span<const uint8_t> in, Heartbeat* out) {
  absl::StatusOr<size_t> nodes = CountTlvs(in, TlvType::kNode, kMaxViewNodes);
  if (!nodes.ok()) return nodes.status();
  // resize, not clear + resize: a reused Heartbeat keeps its vectors' capacity.
  out->nodes.resize(*nodes);
  size_t i = 0;
  bool seen_view = false;
  absl::Status s = ForEachTlv(in, [&](const Tlv& t) {
    if (t.Is(TlvType::kView)) return DecodeFixedTlv<ViewLayout>(t, &seen_view, out);
    if (t.Is(TlvType::kNode)) return DecodeNodeView(t.value, &out->nodes[i++]);
    return SkipUnknownTlv(t);
  });
  if (!s.ok()) return s;
  return seen_view ? absl::OkStatus() : DecodeFailure(DecodeError::kMissingField);
}

}  // namespace dmpd
