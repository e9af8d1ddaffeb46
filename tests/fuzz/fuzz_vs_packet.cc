// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for the virtual service's packet path (issue 9): ParseIpv4L4 on any
// bytes; a packet it accepts is rewritten (RewriteIpv4L4, incremental checksums), must
// parse again with the new addresses, and its TCP/UDP checksum must verify as a full
// recomputation says whenever it verified before. Traps otherwise.
#include <cstdint>
#include <span>
#include <vector>

#include "common/byte_order.h"
#include "userspace/vs/internet_checksum.h"
#include "userspace/vs/ipv4_l4_packet.h"

namespace {

// The TCP/UDP checksum over the packet with its pseudo-header: 0 when it verifies.
uint16_t L4Verify(std::span<const uint8_t> p, const dmpd::vs::Ipv4L4View& v) {
  const size_t l4_len = v.ip_total_length - v.l4_offset;
  uint8_t pseudo[12];
  for (int i = 0; i < 8; ++i) pseudo[i] = p[12 + i];
  pseudo[8] = 0;
  pseudo[9] = v.proto;
  dmpd::StoreBe16(pseudo + 10, static_cast<uint16_t>(l4_len));
  return dmpd::vs::InternetChecksum(p.subspan(v.l4_offset, l4_len),
                                    dmpd::vs::OnesComplementSum(pseudo));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dmpd::vs;
  Ipv4L4View v;
  if (ParseIpv4L4(std::span(data, size), &v) != ParseError::kNone) return 0;
  std::vector<uint8_t> p(data, data + size);
  const bool udp_none = v.proto == kProtoUdp && dmpd::LoadBe16(&p[v.l4_offset + 6]) == 0;
  const bool l4_was_good = !udp_none && L4Verify(p, v) == 0;
  // A translation drawn from the packet's own bytes.
  const Translation to{v.dst_addr ^ 0x5a5a5a5a, static_cast<uint16_t>(v.src_port + 1),
                       v.src_addr ^ 0xa5a5a5a5, static_cast<uint16_t>(v.dst_port ^ 0x8000)};
  if (!RewriteIpv4L4(p, v, to)) return 0;  // TTL 1
  Ipv4L4View after;
  if (ParseIpv4L4(p, &after) != ParseError::kNone) __builtin_trap();  // IP checksum broken
  if (after.src_addr != to.src_addr || after.dst_port != to.dst_port) __builtin_trap();
  if (l4_was_good && L4Verify(p, after) != 0) __builtin_trap();
  return 0;
}
