// SPDX-License-Identifier: BSD-3-Clause
#include "common/heartbeat_response.h"

#include "common/cycle_stamp.h"
#include "common/fixed_tlv.h"
#include "common/protocol_limits.h"

namespace dmpd {
namespace {

using ResponseLayout =
    CycleStampLayout<TlvType::kResponse, HeartbeatResponse, &HeartbeatResponse::node_time_ns>;

}  // namespace

absl::Status EncodeBody(const HeartbeatResponse& m, std::vector<uint8_t>* out) {
  if (m.observations.size() > kMaxObservations) {
    return absl::InvalidArgumentError("a response holds at most kMaxObservations");
  }
  if (m.receipts.size() > kMaxNodePorts) {
    return absl::InvalidArgumentError("a response holds at most kMaxNodePorts receipts");
  }
  TlvWriter w(out);
  EncodeFixedTlv<ResponseLayout>(m, &w);
  EncodeNodeView(m.self, &w);
  for (const MasterObservation& o : m.observations) EncodeGroup(o, &w);
  for (const PeerReceipt& r : m.receipts) EncodeGroup(r, &w);
  return w.status();
}

absl::Status DecodeBody(std::span<const uint8_t> in, HeartbeatResponse* out) {
  absl::StatusOr<size_t> observations = CountTlvs(in, TlvType::kObservation, kMaxObservations);
  if (!observations.ok()) return observations.status();
  absl::StatusOr<size_t> receipts = CountTlvs(in, TlvType::kReceipt, kMaxNodePorts);
  if (!receipts.ok()) return receipts.status();
  out->observations.resize(*observations);
  out->receipts.resize(*receipts);
  size_t i = 0, j = 0;
  bool seen_stamp = false, seen_node = false;
  absl::Status s = ForEachTlv(in, [&](const Tlv& t) -> absl::Status {
    if (t.Is(TlvType::kResponse)) return DecodeFixedTlv<ResponseLayout>(t, &seen_stamp, out);
    if (t.Is(TlvType::kNode)) {
      if (absl::Status m = MarkSeen(&seen_node); !m.ok()) return m;
      return DecodeNodeView(t.value, &out->self);
    }
    if (t.Is(TlvType::kObservation)) return DecodeGroup(t.value, &out->observations[i++]);
    if (t.Is(TlvType::kReceipt)) return DecodeGroup(t.value, &out->receipts[j++]);
    return SkipUnknownTlv(t);
  });
  if (!s.ok()) return s;
  return seen_stamp && seen_node ? absl::OkStatus() : DecodeFailure(DecodeError::kMissingField);
}

}  // namespace dmpd
