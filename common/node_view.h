// SPDX-License-Identifier: BSD-3-Clause
// NodeView: everything known about one node (its n… group, and an m… group per port and a
// p… group per pipe), as the heartbeat carries it for every node and the heartbeat
// response for the sender. On the wire: one "node" TLV containing the groups' TLVs.
#ifndef DMPD_COMMON_NODE_VIEW_H_
#define DMPD_COMMON_NODE_VIEW_H_

#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/node_info.h"
#include "common/pipe_info.h"
#include "common/port_info.h"
#include "common/tlv_codec.h"

namespace dmpd {

struct NodeView {
  NodeInfo info;  // info.id is the node_num
  std::vector<PortInfo> ports;
  std::vector<PipeInfo> pipes;
  friend bool operator==(const NodeView&, const NodeView&) = default;
};

// Writes the "node" TLV.
void EncodeNodeView(const NodeView& v, TlvWriter* w);

// Decodes a "node" TLV's value: exactly one node_info, at most kMaxNodePorts port_info and
// kMaxNodePipes pipe_info, unknown non-critical TLVs skipped.
absl::Status DecodeNodeView(std::span<const uint8_t> value, NodeView* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_NODE_VIEW_H_
