// SPDX-License-Identifier: BSD-3-Clause
// CounterBlock: a fixed list of cumulative counters from one source (the PMD, the kernel,
// the XDP program, an lcore, a pipe) with their increase and rate over the last interval.
// Each source's list is defined once (an X-macro); the struct the daemon fills, the metric
// names, the JSON keys and the docs all come from it.
#ifndef DMPD_USERSPACE_MONITOR_COUNTER_BLOCK_H_
#define DMPD_USERSPACE_MONITOR_COUNTER_BLOCK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/xdp_steer.h"
#include "userspace/monitor/counter_delta.h"
#include "userspace/monitor/port_formulas.h"

namespace dmpd::monitor {

// key: the field name (JSON key, sysfs file name where there is one); metric: the
// Prometheus name after the family prefix; help: one line for # HELP and the docs.
struct CounterInfo {
  std::string_view key;
  std::string_view metric;
  std::string_view help;
};

// The PMD's view of a port (rte_eth_stats; DPDK's names in brackets).
#define DMPD_PMD_COUNTERS(X)                                                            \
  X(rx_packets, "receive_packets_total", "frames received by the PMD (ipackets)")       \
  X(tx_packets, "transmit_packets_total", "frames transmitted by the PMD (opackets)")   \
  X(rx_bytes, "receive_bytes_total", "bytes received by the PMD (ibytes)")              \
  X(tx_bytes, "transmit_bytes_total", "bytes transmitted by the PMD (obytes)")          \
  X(imissed, "receive_missed_packets_total",                                            \
    "frames dropped because the receive ring was full (imissed; af_xdp: socket drops)") \
  X(ierrors, "receive_errors_total", "erroneous received frames (ierrors)")             \
  X(oerrors, "transmit_errors_total", "failed transmissions (oerrors)")                 \
  X(rx_nombuf, "receive_nombuf_packets_total", "receive mbuf allocation failures (rx_nombuf)")

// The kernel's view of the same interface: /sys/class/net/IF/statistics/<key>.
#define DMPD_KERNEL_PORT_COUNTERS(X)                                                            \
  X(rx_bytes, "receive_bytes_total", "bytes the interface received")                            \
  X(rx_packets, "receive_packets_total", "frames the interface received")                       \
  X(rx_errors, "receive_errors_total", "receive errors")                                        \
  X(rx_dropped, "receive_dropped_packets_total", "received frames the kernel dropped")          \
  X(rx_fifo_errors, "receive_fifo_errors_total", "receive ring overruns (ifconfig's overruns)") \
  X(rx_missed_errors, "receive_missed_errors_total", "frames the NIC missed")                   \
  X(tx_bytes, "transmit_bytes_total", "bytes the interface transmitted")                        \
  X(tx_packets, "transmit_packets_total", "frames the interface transmitted")                   \
  X(tx_errors, "transmit_errors_total", "transmit errors")                                      \
  X(tx_dropped, "transmit_dropped_packets_total", "frames dropped on transmit")                 \
  X(tx_fifo_errors, "transmit_fifo_errors_total", "transmit ring errors")

// The host's receive path (seed 003): /proc/net/softnet_stat and /proc/softirqs, all CPUs.
#define DMPD_RECEIVE_PATH_COUNTERS(X)                                                     \
  X(softnet_processed, "softnet_processed_packets_total", "frames the softirq processed") \
  X(softnet_dropped, "softnet_dropped_packets_total",                                     \
    "frames dropped because the backlog queue was full (netdev_max_backlog)")             \
  X(softnet_time_squeeze, "softnet_times_squeezed_total",                                 \
    "softirq runs that stopped with work left (netdev_budget)")                           \
  X(softirq_net_rx, "softirqs_net_rx_total", "NET_RX softirqs")                           \
  X(softirq_net_tx, "softirqs_net_tx_total", "NET_TX softirqs")

// A worker lcore (MON-3, DP-7).
#define DMPD_LCORE_COUNTERS(X)                                                \
  X(packets, "packets_total", "frames the lcore handled (received and sent)") \
  X(empty_polls, "empty_polls_total", "receive polls that returned no frame") \
  X(busy_polls, "busy_polls_total", "receive polls that returned frames")

// A pipe (MON-4).
#define DMPD_PIPE_COUNTERS(X)                                                       \
  X(tx_messages, "transmit_messages_total", "messages the application sent")        \
  X(rx_messages, "receive_messages_total", "messages delivered to the application") \
  X(tx_bytes, "transmit_bytes_total", "bytes the application sent")                 \
  X(rx_bytes, "receive_bytes_total", "bytes delivered to the application")          \
  X(dropped_messages, "dropped_messages_total", "messages dropped (pipe full)")

#define DMPD_COUNTER_INFO(key, metric, help) CounterInfo{#key, metric, help},
#define DMPD_COUNTER_ENUM(key, metric, help) key,
#define DMPD_XDP_COUNTER_INFO(key, help) CounterInfo{#key, "frames_total", help},
#define DMPD_XDP_COUNTER_ENUM(key, help) key,

// For each list: an enum in a namespace of its own whose enumerators keep the list's field
// names (so `block.total[PmdCounter::imissed]` reads like the field it came from), and
// the array of CounterInfo.
#define DMPD_DEFINE_COUNTER_LIST(ns, infos, LIST, INFO, ENUM) \
  namespace ns {                                              \
  enum : size_t { LIST(ENUM) kCount };                        \
  }                                                           \
  inline constexpr std::array<CounterInfo, ns::kCount> infos = {LIST(INFO)};

DMPD_DEFINE_COUNTER_LIST(PmdCounter, kPmdCounters, DMPD_PMD_COUNTERS, DMPD_COUNTER_INFO,
                         DMPD_COUNTER_ENUM)
DMPD_DEFINE_COUNTER_LIST(KernelCounter, kKernelCounters, DMPD_KERNEL_PORT_COUNTERS,
                         DMPD_COUNTER_INFO, DMPD_COUNTER_ENUM)
DMPD_DEFINE_COUNTER_LIST(ReceivePathCounter, kReceivePathCounters, DMPD_RECEIVE_PATH_COUNTERS,
                         DMPD_COUNTER_INFO, DMPD_COUNTER_ENUM)
DMPD_DEFINE_COUNTER_LIST(LcoreCounter, kLcoreCounters, DMPD_LCORE_COUNTERS, DMPD_COUNTER_INFO,
                         DMPD_COUNTER_ENUM)
DMPD_DEFINE_COUNTER_LIST(PipeCounter, kPipeCounters, DMPD_PIPE_COUNTERS, DMPD_COUNTER_INFO,
                         DMPD_COUNTER_ENUM)
DMPD_DEFINE_COUNTER_LIST(XdpCounter, kXdpCounters, DMPD_STEER_COUNTERS, DMPD_XDP_COUNTER_INFO,
                         DMPD_XDP_COUNTER_ENUM)

template <size_t N>
struct CounterBlock {
  static constexpr size_t kSize = N;

  std::array<std::optional<uint64_t>, N> total{};     // as read; nullopt: not available
  std::array<std::optional<uint64_t>, N> increase{};  // since the previous sample
  std::array<std::optional<double>, N> per_second{};  // increase / interval

  // Fills increase and per_second against `previous` (nothing on the first sample or for
  // a counter either side lacks). Returns how many counters were reset since.
  uint32_t Advance(const CounterBlock* previous, double interval_seconds,
                   CounterWidth width = CounterWidth::k64Bits) {
    uint32_t resets = 0;
    for (size_t i = 0; i < N; ++i) {
      increase[i].reset();
      per_second[i].reset();
      if (previous == nullptr || !total[i] || !previous->total[i]) continue;
      const CounterStep step = CounterIncrease(*previous->total[i], *total[i], width);
      resets += step.reset ? 1 : 0;
      increase[i] = step.increase;
      per_second[i] = RatePerSecond(step.increase, interval_seconds);
    }
    return resets;
  }

  // Adds `other` field by field (summing queues into a port); a field stays not available
  // only where both sides lack it.
  void Accumulate(const CounterBlock& other) {
    for (size_t i = 0; i < N; ++i) {
      AddTo(total[i], other.total[i]);
      AddTo(increase[i], other.increase[i]);
      AddTo(per_second[i], other.per_second[i]);
    }
  }

  // The increase of a counter, 0 where not available: for sums of evidence (overflows).
  uint64_t IncreaseOrZero(size_t i) const { return increase[i].value_or(0); }

 private:
  template <typename T>
  static void AddTo(std::optional<T>& into, const std::optional<T>& v) {
    if (v) into = into.value_or(T{}) + *v;
  }
};

using PmdCounterBlock = CounterBlock<PmdCounter::kCount>;
using KernelCounterBlock = CounterBlock<KernelCounter::kCount>;
using ReceivePathCounterBlock = CounterBlock<ReceivePathCounter::kCount>;
using LcoreCounterBlock = CounterBlock<LcoreCounter::kCount>;
using PipeCounterBlock = CounterBlock<PipeCounter::kCount>;
using XdpCounterBlock = CounterBlock<XdpCounter::kCount>;

// The XDP program's counters (summed over CPUs by the caller) as a block.
XdpCounterBlock XdpCountersToBlock(const dmpd_steer_counters& c);

#undef DMPD_DEFINE_COUNTER_LIST
#undef DMPD_COUNTER_INFO
#undef DMPD_COUNTER_ENUM
#undef DMPD_XDP_COUNTER_INFO
#undef DMPD_XDP_COUNTER_ENUM

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_COUNTER_BLOCK_H_
