// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/port_formulas.h"

namespace dmpd::monitor {

uint64_t PortTrafficBits(std::span<const QueueByteCounts> queues) {
  uint64_t bytes = 0;
  for (const QueueByteCounts& q : queues) bytes += q.rx_bytes + q.tx_bytes;
  return bytes * 8;
}

std::optional<double> LossRatio(uint64_t sent_packets,
                                std::optional<uint64_t> peer_received_packets) {
  if (!peer_received_packets || sent_packets == 0) return std::nullopt;
  // 1 − T_recv/T_send computed as (T_send − T_recv)/T_send: exact in integers first.
  if (*peer_received_packets >= sent_packets) return 0.0;
  return static_cast<double>(sent_packets - *peer_received_packets) /
         static_cast<double>(sent_packets);
}

std::optional<double> PortUtilisationRatio(uint64_t traffic_bits_delta, double interval_seconds,
                                           std::optional<double> bandwidth_bits_per_second) {
  if (!bandwidth_bits_per_second || *bandwidth_bits_per_second <= 0) return std::nullopt;
  const std::optional<double> bits_per_second = RatePerSecond(traffic_bits_delta, interval_seconds);
  if (!bits_per_second) return std::nullopt;
  return *bits_per_second / *bandwidth_bits_per_second;
}

std::optional<double> PortBandwidthBitsPerSecond(std::optional<uint64_t> link_speed_mbps,
                                                 std::optional<double> configured_bits_per_second) {
  if (link_speed_mbps && *link_speed_mbps > 0) return static_cast<double>(*link_speed_mbps) * 1e6;
  if (configured_bits_per_second && *configured_bits_per_second > 0) {
    return configured_bits_per_second;
  }
  return std::nullopt;
}

std::optional<double> QueueOverflowRatio(uint64_t overflowed_packets, uint64_t received_packets) {
  const uint64_t arrived = overflowed_packets + received_packets;
  if (arrived == 0) return std::nullopt;
  return static_cast<double>(overflowed_packets) / static_cast<double>(arrived);
}

std::optional<double> RatePerSecond(uint64_t increase, double interval_seconds) {
  if (!(interval_seconds > 0)) return std::nullopt;
  return static_cast<double>(increase) / interval_seconds;
}

}  // namespace dmpd::monitor
