// SPDX-License-Identifier: BSD-3-Clause
// MbufDataPorts: the pipe engine's frames as mbufs on the worker lcore. A frame is built in
// an mbuf from the port's pool and sent with the port's next burst (32 frames, or the end
// of the poll); a full PMD queue drops the rest of the burst, counted as tx_dropped. A port
// whose link is down is not offered to the engine (it counts what it could not send).
#ifndef DMPD_USERSPACE_DAEMON_MBUF_DATA_PORTS_H_
#define DMPD_USERSPACE_DAEMON_MBUF_DATA_PORTS_H_

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <array>
#include <vector>

#include "userspace/daemon/port_counters.h"
#include "userspace/pipe/pipe_engine.h"

namespace dmpd {

class MbufDataPorts final : public pipe::DataPorts {
 public:
  struct Port {
    uint16_t port_id = 0;
    rte_mempool* pool = nullptr;
    MacAddress mac{};
    PortCounters* counters = nullptr;
  };
  explicit MbufDataPorts(std::vector<Port> ports);
  ~MbufDataPorts() override;

  size_t port_count() const override { return ports_.size(); }
  bool up(size_t port) const override {
    return !ports_[port].port.counters->link_down.load(std::memory_order_relaxed);
  }
  MacAddress mac(size_t port) const override { return ports_[port].port.mac; }
  std::span<uint8_t> Begin(size_t port, size_t len) override;
  void Commit(size_t port) override;

  // Queues a whole frame already in an mbuf (the virtual service's, translated in place)
  // for the port's next burst; the mbuf is ours from here. A down link drops it, counted.
  void Send(size_t port, rte_mbuf* m);

  // Sends every burst begun; returns the frames sent.
  uint32_t Flush();

 private:
  static constexpr unsigned kBurst = 32;
  struct State {
    Port port;
    rte_mbuf* pending = nullptr;  // begun, not committed
    std::array<rte_mbuf*, kBurst> burst{};
    unsigned queued = 0;
  };
  uint32_t FlushPort(State& s);

  std::vector<State> ports_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_MBUF_DATA_PORTS_H_
