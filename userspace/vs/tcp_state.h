// SPDX-License-Identifier: BSD-3-Clause
// Enough of TCP to pick each connection's timeout (LVS-like): a client's SYN opens it
// (syn_recv), the client's ACK of the handshake establishes it, a FIN from either side
// starts its end (fin_wait), an RST closes it.
//
// A connection whose ends both sent a FIN stays in fin_wait (120 s), not close (10 s): the
// end that closed first keeps the connection in TIME_WAIT (60 s on Linux; the backend, for
// HTTP/1.0), and a vdport reused toward that backend before then meets the TIME_WAIT
// socket. In the lab, ending such connections after 10 s made 10 of 60 new connections
// wait for a SYN retransmission (e2e_vs). Anything else that does not open a
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

// The state after a segment with `flags`, from the client (IN) or the backend (OUT).
inline ConnState NextTcpState(ConnState current, bool from_client, uint8_t flags) {
  if (flags & kTcpRst) return ConnState::kClose;
  if (current == ConnState::kClose) return ConnState::kClose;
  if (flags & kTcpFin) return ConnState::kFinWait;
  if (current == ConnState::kSynRecv && from_client && (flags & kTcpAck) && !(flags & kTcpSyn)) {
    return ConnState::kEstablished;
  }
  return current;
}

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_TCP_STATE_H_
