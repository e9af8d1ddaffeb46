// SPDX-License-Identifier: BSD-3-Clause
// Enough of TCP to pick each connection's timeout (LVS-like): a client's SYN opens it
// (syn_recv), the client's ACK of the handshake establishes it, a FIN from either side
// starts its end (fin_wait), a FIN from both sides or an RST closes it (close: only the
// last ACK and retransmissions are left, so its vdport is free again after close_s rather
// than fin_wait_s — what bounds the connections per second a vdport range sustains). Anything else that does not open a
// connection and has none is refused by the caller (counted: RST or FIN for unknown
// connections, stray ACKs).
#ifndef DMPD_USERSPACE_VS_TCP_STATE_H_
#define DMPD_USERSPACE_VS_TCP_STATE_H_

#include <cstdint>

#include "userspace/vs/connection_table.h"
#include "userspace/vs/ipv4_l4_packet.h"

namespace dmpd::vs {

// A client segment that may create a connection: SYN without ACK, RST or FIN.
inline bool OpensTcpConnection(uint8_t flags) {
  return (flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) == kTcpSyn;
}

// Which ends have sent a FIN (Connection::fins).
inline constexpr uint8_t kFinFromClient = 1;
inline constexpr uint8_t kFinFromBackend = 2;
inline uint8_t FinsAfter(uint8_t fins, bool from_client, uint8_t flags) {
  if (!(flags & kTcpFin)) return fins;
  return fins | (from_client ? kFinFromClient : kFinFromBackend);
}

// The state after a segment with `flags`, from the client (IN) or the backend (OUT);
// `fins`: FinsAfter this segment.
inline ConnState NextTcpState(ConnState current, bool from_client, uint8_t flags,
                              uint8_t fins = 0) {
  if (flags & kTcpRst) return ConnState::kClose;
  if (current == ConnState::kClose) return ConnState::kClose;
  if (fins == (kFinFromClient | kFinFromBackend)) return ConnState::kClose;
  if (flags & kTcpFin) return ConnState::kFinWait;
  if (current == ConnState::kSynRecv && from_client && (flags & kTcpAck) && !(flags & kTcpSyn)) {
    return ConnState::kEstablished;
  }
  return current;
}

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_TCP_STATE_H_
