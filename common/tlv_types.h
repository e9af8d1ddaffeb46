// SPDX-License-Identifier: BSD-3-Clause
// The TLV type registry: every TLV type any DMPD payload uses, defined once. Types are
// global (not per frame kind) so a dissector or a log can name a TLV without context.
// Rules (docs/protocol.md, "Compatibility"): a value is never reused; a receiver skips a
// type it does not know unless the sender set DMPD_TLV_F_CRITICAL on it; a fixed-layout
// value may grow at its end and a receiver ignores bytes past the fields it knows.
#ifndef DMPD_COMMON_TLV_TYPES_H_
#define DMPD_COMMON_TLV_TYPES_H_

#include <cstdint>
#include <string_view>

namespace dmpd {

// X(enumerator, value, "name", "where it appears; its value")
#define DMPD_TLV_TYPES(X)                                                                  \
  X(kSync, 0x0001, "sync", "time_sync: term, cycle, master time, interval, reply delay")   \
  X(kView, 0x0002, "view", "heartbeat: term, cycle, master time")                          \
  X(kResponse, 0x0003, "response", "heartbeat_response: term, cycle, node time")           \
  X(kElection, 0x0004, "election", "candidacy/vote/announce: term, node, prio, cycle")     \
  X(kLeave, 0x0005, "leave", "leave: reason, term")                                        \
  X(kNode, 0x0010, "node", "heartbeat, heartbeat_response: container of one node")         \
  X(kNodeInfo, 0x0011, "node_info", "in node: field group n (NodeInfo)")                   \
  X(kPortInfo, 0x0012, "port_info", "in node: field group m (PortInfo), one per port")     \
  X(kPipeInfo, 0x0013, "pipe_info", "in node: field group p (PipeInfo), one per pipe")     \
  X(kObservation, 0x0014, "observation", "heartbeat_response: MasterObservation per port") \
  X(kReceipt, 0x0015, "receipt", "heartbeat_response: PeerReceipt per master port")         \
  X(kHelloMac, 0x0020, "hello_mac", "hello: the sending port's MAC, 6 bytes")              \
  X(kHelloPortCount, 0x0021, "hello_port_count", "hello: the sender's LAN ports, u16")     \
  X(kHelloTerm, 0x0022, "hello_term", "hello: the highest term the sender knows, u32")     \
  X(kHelloName, 0x0023, "hello_name", "hello: the sender's host name, 1..64 bytes")

enum class TlvType : uint16_t {
#define DMPD_TLV_TYPE_ENUM(e, value, name, doc) e = value,
  DMPD_TLV_TYPES(DMPD_TLV_TYPE_ENUM)
#undef DMPD_TLV_TYPE_ENUM
};

constexpr std::string_view TlvTypeName(uint16_t type) {
  switch (type) {
#define DMPD_TLV_TYPE_NAME(e, value, name, doc) \
  case value:                                   \
    return name;
    DMPD_TLV_TYPES(DMPD_TLV_TYPE_NAME)
#undef DMPD_TLV_TYPE_NAME
  }
  return "unknown";
}

}  // namespace dmpd

#endif  // DMPD_COMMON_TLV_TYPES_H_
