// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/ipv4_l4_packet.h"

#include "common/byte_order.h"
#include "userspace/vs/internet_checksum.h"

namespace dmpd::vs {
namespace {

constexpr size_t kIpv4HeaderLen = 20;
constexpr size_t kTcpHeaderLen = 20;
constexpr size_t kUdpHeaderLen = 8;

}  // namespace

std::string_view ParseErrorName(ParseError e) {
  switch (e) {
    case ParseError::kNone: return "none";
#define DMPD_VS_PARSE_NAME(name, doc) \
  case ParseError::name: return #name;
    DMPD_VS_PARSE_ERRORS(DMPD_VS_PARSE_NAME)
#undef DMPD_VS_PARSE_NAME
    case ParseError::kCount: break;
  }
  return "unknown";
}

ParseError ParseIpv4L4(std::span<const uint8_t> p, Ipv4L4View* out) {
  if (p.size() < kIpv4HeaderLen) return ParseError::truncated_ip;
  const uint8_t version = p[0] >> 4;
  const size_t ihl = static_cast<size_t>(p[0] & 0x0F) * 4;
  if (version != 4 || ihl < kIpv4HeaderLen) return ParseError::not_ipv4;
  const size_t total = LoadBe16(&p[2]);
  if (total < ihl || total > p.size()) return ParseError::truncated_ip;
  if (ihl != kIpv4HeaderLen) return ParseError::ip_options;
  if (InternetChecksum(p.first(kIpv4HeaderLen)) != 0) return ParseError::bad_ip_checksum;
  const uint16_t frag = LoadBe16(&p[6]);
  if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) return ParseError::fragment;
  const uint8_t proto = p[9];
  if (proto != kProtoTcp && proto != kProtoUdp) return ParseError::not_tcp_udp;
  const size_t l4_len = total - ihl;
  const uint8_t* l4 = p.data() + ihl;
  if (proto == kProtoTcp) {
    if (l4_len < kTcpHeaderLen) return ParseError::truncated_l4;
    const size_t data_offset = static_cast<size_t>(l4[12] >> 4) * 4;
    if (data_offset < kTcpHeaderLen || data_offset > l4_len) return ParseError::truncated_l4;
    out->tcp_flags = l4[13];
  } else {
    if (l4_len < kUdpHeaderLen) return ParseError::truncated_l4;
    const size_t udp_len = LoadBe16(l4 + 4);
    if (udp_len < kUdpHeaderLen || udp_len > l4_len) return ParseError::truncated_l4;
    out->tcp_flags = 0;
  }
  out->proto = proto;
  out->src_addr = LoadBe32(&p[12]);
  out->dst_addr = LoadBe32(&p[16]);
  out->src_port = LoadBe16(l4);
  out->dst_port = LoadBe16(l4 + 2);
  out->l4_offset = ihl;
  out->ip_total_length = total;
  return ParseError::kNone;
}

bool RewriteIpv4L4(std::span<uint8_t> p, const Ipv4L4View& v, const Translation& to) {
  uint8_t* ip = p.data();
  if (ip[8] <= 1) return false;  // TTL: the next hop would drop it; the kernel answers ICMP
  // IPv4 header: TTL (the high byte of the TTL/protocol word), then both addresses.
  uint16_t ip_check = LoadBe16(ip + 10);
  const uint16_t ttl_proto = LoadBe16(ip + 8);
  const uint16_t ttl_proto_new = static_cast<uint16_t>(ttl_proto - 0x0100);
  ip_check = ChecksumAdjust16(ip_check, ttl_proto, ttl_proto_new);
  ip_check = ChecksumAdjust32(ip_check, v.src_addr, to.src_addr);
  ip_check = ChecksumAdjust32(ip_check, v.dst_addr, to.dst_addr);
  StoreBe16(ip + 8, ttl_proto_new);
  StoreBe32(ip + 12, to.src_addr);
  StoreBe32(ip + 16, to.dst_addr);
  StoreBe16(ip + 10, ip_check);

  // TCP/UDP: the pseudo-header's addresses and the ports.
  uint8_t* l4 = ip + v.l4_offset;
  uint8_t* check_field = l4 + (v.proto == kProtoTcp ? 16 : 6);
  uint16_t l4_check = LoadBe16(check_field);
  const bool udp_without_checksum = v.proto == kProtoUdp && l4_check == 0;
  if (!udp_without_checksum) {
    l4_check = ChecksumAdjust32(l4_check, v.src_addr, to.src_addr);
    l4_check = ChecksumAdjust32(l4_check, v.dst_addr, to.dst_addr);
    l4_check = ChecksumAdjust16(l4_check, v.src_port, to.src_port);
    l4_check = ChecksumAdjust16(l4_check, v.dst_port, to.dst_port);
    if (v.proto == kProtoUdp && l4_check == 0) l4_check = 0xFFFF;
    StoreBe16(check_field, l4_check);
  }
  StoreBe16(l4, to.src_port);
  StoreBe16(l4 + 2, to.dst_port);
  return true;
}

}  // namespace dmpd::vs
