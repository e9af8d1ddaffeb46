// SPDX-License-Identifier: BSD-3-Clause
// PeerReceipt: how many of one sender port's control frames a node received, sent back in
// the heartbeat response for the master's ports (eq. (2), MON-6). With `numbered` (how far
// that port's header sequence advanced while it was heard, T_send) and `received` (the
// distinct frames that arrived, T_recv) the master works out its own ports' loss from
// every member's receipts; it measures the members' ports itself (docs/cluster.md).
#ifndef DMPD_COMMON_PEER_RECEIPT_H_
#define DMPD_COMMON_PEER_RECEIPT_H_

#include <cstdint>
#include <optional>

#include "common/field_group.h"
#include "common/tlv_types.h"

namespace dmpd {

// X(bit, name, type, "unit and meaning"). Append only (field_group.h).
#define DMPD_PEER_RECEIPT_FIELDS(X)                                                      \
  X(0, sender_node, uint16_t, "the node whose port this receipt is for")                 \
  X(1, received, uint64_t, "its distinct control frames heard on any local port (T_recv)") \
  X(2, numbered, uint64_t, "its sequence numbers spanned since first heard (T_send)")

struct PeerReceipt {
  static constexpr TlvType kTlvType = TlvType::kReceipt;
  uint16_t id = 0;  // the sender's port index
  DMPD_FIELD_GROUP(DMPD_PEER_RECEIPT_FIELDS);
  friend bool operator==(const PeerReceipt&, const PeerReceipt&) = default;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_PEER_RECEIPT_H_
