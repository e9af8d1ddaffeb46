// SPDX-License-Identifier: BSD-3-Clause
// The paper's per-port monitoring formulas (§2.3, eqs. (1)–(3); SPEC MON-6) and the
// queue-overflow factor of its load model (§3.2). Small pure functions with units in their
// names; rates are per second, ratios are 0..1 (the paper's "× 100 %" is left to display).
#ifndef DMPD_USERSPACE_MONITOR_PORT_FORMULAS_H_
#define DMPD_USERSPACE_MONITOR_PORT_FORMULAS_H_

#include <cstdint>
#include <optional>
#include <span>

namespace dmpd::monitor {

// Bytes one queue of a port received and transmitted (cumulative, or over an interval).
struct QueueByteCounts {
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

// eq. (1): F_port = Σ_i (RX_i + TX_i) × 8 over every receive/transmit queue of the port.
// The paper counts KiB and multiplies by 1024 × 8; we count bytes, so × 8 alone.
uint64_t PortTrafficBits(std::span<const QueueByteCounts> queues);

// eq. (2): R_loss = 1 − T_recv / T_send over an interval, T_send the frames this port sent
// and T_recv the ones its peers report having received (from the heartbeat). Not available
// without a peer report or when nothing was sent. Clamped to [0, 1]: reports that cross
// the sampling boundary can make peers appear to have received more than was sent.
std::optional<double> LossRatio(uint64_t sent_packets,
                                std::optional<uint64_t> peer_received_packets);

// eq. (3): U_port = (F_port(t) − F_port(t−1)) / Δτ / BW. Not available without a
// bandwidth or with a zero interval. Not clamped: F counts both directions, so a
// full-duplex link busy both ways reads up to 2.
std::optional<double> PortUtilisationRatio(uint64_t traffic_bits_delta, double interval_seconds,
                                           std::optional<double> bandwidth_bits_per_second);

// BW for eq. (3): the link speed the interface reports, else the configured bandwidth
// (veth reports none). `link_speed_mbps` is sysfs' unit (10^6 bit/s).
std::optional<double> PortBandwidthBitsPerSecond(std::optional<uint64_t> link_speed_mbps,
                                                 std::optional<double> configured_bits_per_second);

// The load model's third factor (§3.2): the share of arriving frames that found a queue
// full, overflowed / (received + overflowed), in [0, 1]. What counts as overflowed and as
// received is decided by the caller (see docs/monitoring.md). Not available when nothing
// arrived.
std::optional<double> QueueOverflowRatio(uint64_t overflowed_packets, uint64_t received_packets);

// A counter's increase over an interval as a rate; not available for a zero interval.
std::optional<double> RatePerSecond(uint64_t increase, double interval_seconds);

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_PORT_FORMULAS_H_
