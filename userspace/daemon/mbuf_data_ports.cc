// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/mbuf_data_ports.h"

#include <rte_ethdev.h>

namespace dmpd {

MbufDataPorts::MbufDataPorts(std::vector<Port> ports) {
  ports_.reserve(ports.size());
  for (Port& p : ports) ports_.push_back(State{.port = p});
}

MbufDataPorts::~MbufDataPorts() {
  for (State& s : ports_) {
    if (s.pending != nullptr) rte_pktmbuf_free(s.pending);
    if (s.queued > 0) rte_pktmbuf_free_bulk(s.burst.data(), s.queued);
  }
}

std::span<uint8_t> MbufDataPorts::Begin(size_t port, size_t len) {
  State& s = ports_[port];
  if (s.pending == nullptr) s.pending = rte_pktmbuf_alloc(s.port.pool);
  if (s.pending == nullptr) return {};
  rte_pktmbuf_reset(s.pending);
  char* data = rte_pktmbuf_append(s.pending, static_cast<uint16_t>(len));
  if (data == nullptr) return {};  // larger than an mbuf: the engine's MTU prevents it
  return {reinterpret_cast<uint8_t*>(data), len};
}

void MbufDataPorts::Commit(size_t port) {
  State& s = ports_[port];
  if (s.pending == nullptr) return;
  s.burst[s.queued++] = s.pending;
  s.pending = nullptr;
  if (s.queued == kBurst) FlushPort(s);
}

void MbufDataPorts::Send(size_t port, rte_mbuf* m) {
  State& s = ports_[port];
  if (!up(port)) {
    s.port.counters->tx_link_down.Add();
    rte_pktmbuf_free(m);
    return;
  }
  s.burst[s.queued++] = m;
  if (s.queued == kBurst) FlushPort(s);
}

uint32_t MbufDataPorts::Flush() {
  uint32_t sent = 0;
  for (State& s : ports_) sent += FlushPort(s);
  return sent;
}

uint32_t MbufDataPorts::FlushPort(State& s) {
  if (s.queued == 0) return 0;
  const uint16_t sent = rte_eth_tx_burst(s.port.port_id, 0, s.burst.data(), static_cast<uint16_t>(s.queued));
  if (sent < s.queued) {
    s.port.counters->tx_dropped.Add(s.queued - sent);
    rte_pktmbuf_free_bulk(s.burst.data() + sent, s.queued - sent);
  }
  s.port.counters->tx_frames.Add(sent);
  s.queued = 0;
  return sent;
}

}  // namespace dmpd
