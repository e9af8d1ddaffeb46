// SPDX-License-Identifier: BSD-3-Clause
// An IPv4 TCP/UDP packet as the virtual service sees it: parsed with every length checked
// (input from the wire is hostile), each refusal a reason the worker counts, and its
// addresses and ports rewritten in place with both checksums updated incrementally
// (internet_checksum.h). The span starts at the IPv4 header (after Ethernet).
#ifndef DMPD_USERSPACE_VS_IPV4_L4_PACKET_H_
#define DMPD_USERSPACE_VS_IPV4_L4_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace dmpd::vs {

inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;

// TCP flags (the low byte of the flags field).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

// Why a packet is not one the service forwards. X(name, "meaning").
#define DMPD_VS_PARSE_ERRORS(X)                                                   \
  X(truncated_ip, "shorter than an IPv4 header, or than its total length says")   \
  X(not_ipv4, "IP version is not 4, or the header length is below 20 bytes")      \
  X(ip_options, "IPv4 options (header longer than 20 bytes): not forwarded")      \
  X(fragment, "a fragment (MF set or a fragment offset): ports are not in it")    \
  X(not_tcp_udp, "neither TCP nor UDP")                                           \
  X(truncated_l4, "shorter than its TCP or UDP header (or TCP data offset lies)") \
  X(bad_ip_checksum, "the IPv4 header checksum does not verify")

enum class ParseError : uint8_t {
  kNone,
#define DMPD_VS_PARSE_ENUM(name, doc) name,
  DMPD_VS_PARSE_ERRORS(DMPD_VS_PARSE_ENUM)
#undef DMPD_VS_PARSE_ENUM
  kCount
};
std::string_view ParseErrorName(ParseError e);

struct Ipv4L4View {
  uint8_t proto = 0;
  uint32_t src_addr = 0;  // host order
  uint32_t dst_addr = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t tcp_flags = 0;   // TCP only
  size_t l4_offset = 0;    // from the start of the IPv4 header
  size_t ip_total_length = 0;
};

// Checks and reads the packet. Options and fragments are refused: a fragment after the
// first has no ports, and neither is worth the worker's time for a service.
ParseError ParseIpv4L4(std::span<const uint8_t> packet, Ipv4L4View* out);

// The new addresses and ports of a translated packet.
struct Translation {
  uint32_t src_addr = 0;
  uint16_t src_port = 0;
  uint32_t dst_addr = 0;
  uint16_t dst_port = 0;
};

// Rewrites a packet ParseIpv4L4 accepted (`view` its result) and updates the IPv4 header
// checksum and the TCP or UDP checksum incrementally (a UDP checksum of 0, "none", stays
// 0; one that would become 0 is written 0xFFFF, RFC 768). Also decrements the TTL (the
// service is a router hop); false, nothing changed, when the TTL would reach 0.
bool RewriteIpv4L4(std::span<uint8_t> packet, const Ipv4L4View& view, const Translation& to);

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_IPV4_L4_PACKET_H_
