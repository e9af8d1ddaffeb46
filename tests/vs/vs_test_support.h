// SPDX-License-Identifier: BSD-3-Clause
// IPv4 TCP/UDP packets with correct checksums, for the virtual service's tests.
#ifndef DMPD_TESTS_VS_VS_TEST_SUPPORT_H_
#define DMPD_TESTS_VS_VS_TEST_SUPPORT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "common/byte_order.h"
#include "userspace/vs/internet_checksum.h"
#include "userspace/vs/ipv4_l4_packet.h"

namespace dmpd::vs::test_support {

struct PacketSpec {
  uint8_t proto = kProtoTcp;
  uint32_t src_addr = 0;
  uint16_t src_port = 0;
  uint32_t dst_addr = 0;
  uint16_t dst_port = 0;
  uint8_t tcp_flags = 0;
  uint8_t ttl = 64;
  std::vector<uint8_t> payload;
  bool udp_checksum = true;  // false: UDP's "no checksum" (0)
};

// The TCP/UDP pseudo-header's sum for a packet of `l4_len` bytes.
inline uint32_t PseudoHeaderSum(std::span<const uint8_t> ip, uint8_t proto, size_t l4_len) {
  uint8_t pseudo[12];
  for (int i = 0; i < 8; ++i) pseudo[i] = ip[12 + i];
  pseudo[8] = 0;
  pseudo[9] = proto;
  StoreBe16(pseudo + 10, static_cast<uint16_t>(l4_len));
  return OnesComplementSum(pseudo);
}

inline std::vector<uint8_t> BuildPacket(const PacketSpec& s) {
  const size_t l4 = (s.proto == kProtoTcp ? 20 : 8) + s.payload.size();
  std::vector<uint8_t> p(20 + l4, 0);
  p[0] = 0x45;
  StoreBe16(&p[2], static_cast<uint16_t>(p.size()));
  StoreBe16(&p[4], 0x1234);
  StoreBe16(&p[6], 0x4000);  // DF
  p[8] = s.ttl;
  p[9] = s.proto;
  StoreBe32(&p[12], s.src_addr);
  StoreBe32(&p[16], s.dst_addr);
  StoreBe16(&p[10], InternetChecksum(std::span(p).first(20)));
  uint8_t* h = &p[20];
  StoreBe16(h, s.src_port);
  StoreBe16(h + 2, s.dst_port);
  const size_t header = s.proto == kProtoTcp ? 20 : 8;
  if (s.proto == kProtoTcp) {
    StoreBe32(h + 4, 1000);
    h[12] = 0x50;
    h[13] = s.tcp_flags;
    StoreBe16(h + 14, 65535);
  } else {
    StoreBe16(h + 4, static_cast<uint16_t>(l4));
  }
  for (size_t i = 0; i < s.payload.size(); ++i) h[header + i] = s.payload[i];
  const size_t check = s.proto == kProtoTcp ? 16 : 6;
  uint16_t sum = InternetChecksum(std::span(p).subspan(20), PseudoHeaderSum(p, s.proto, l4));
  if (s.proto == kProtoUdp && sum == 0) sum = 0xFFFF;
  if (s.proto == kProtoUdp && !s.udp_checksum) sum = 0;
  StoreBe16(h + check, sum);
  return p;
}

// Both checksums verify (UDP's "none" aside).
inline bool ChecksumsVerify(std::span<const uint8_t> p) {
  if (InternetChecksum(p.first(20)) != 0) return false;
  const uint8_t proto = p[9];
  const size_t l4 = p.size() - 20;
  if (proto == kProtoUdp && LoadBe16(&p[26]) == 0) return true;
  return InternetChecksum(p.subspan(20), PseudoHeaderSum(p, proto, l4)) == 0;
}

}  // namespace dmpd::vs::test_support

#endif  // DMPD_TESTS_VS_VS_TEST_SUPPORT_H_
