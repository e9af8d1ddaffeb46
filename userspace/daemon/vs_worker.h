// SPDX-License-Identifier: BSD-3-Clause
// VsWorker: the virtual service's stage on the worker lcore (issue 9). The steering
// program sends the service's IPv4 frames to the AF_XDP sockets with the DMPD frames; the
// worker hands each such frame here, and it leaves translated on the port its next hop is
// behind (vs::FrameForwarder), in the same poll.
//
// A frame whose next hop the main lcore has not resolved yet is held, like the kernel's
// own neighbour queue: up to kMaxHeld frames for up to hold_ns each, sent as soon as the
// answer arrives (SetNextHop, run on the worker through WorkerTasks), dropped and counted
// when it does not come in time. Without that, the first SYN-ACK to each new client would
// be lost and the connection would wait a whole TCP retransmission timeout.
#ifndef DMPD_USERSPACE_DAEMON_VS_WORKER_H_
#define DMPD_USERSPACE_DAEMON_VS_WORKER_H_

#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "userspace/daemon/mbuf_data_ports.h"
#include "userspace/vs/frame_forwarder.h"

namespace dmpd {

struct VsHoldCounters {
  uint64_t held = 0;          // frames held for their next hop
  uint64_t held_sent = 0;     // sent once it was resolved
  uint64_t held_expired = 0;  // dropped: not resolved within hold_ns
  uint64_t hold_full = 0;     // dropped: kMaxHeld frames were waiting already
};

class VsWorker {
 public:
  static constexpr size_t kMaxHeld = 64;

  VsWorker(std::unique_ptr<vs::FrameForwarder> forwarder, MbufDataPorts* ports,
           uint64_t hold_ns = 1'000'000'000)
      : forwarder_(std::move(forwarder)), ports_(ports), hold_ns_(hold_ns) {}
  ~VsWorker();
  VsWorker(const VsWorker&) = delete;
  VsWorker& operator=(const VsWorker&) = delete;

  // Worker: one frame the steering program redirected. Always takes the mbuf (sent,
  // held or freed).
  void OnFrame(rte_mbuf* m, uint64_t now_ns);
  // Worker, every poll: connections that timed out, held frames past their time.
  void Poll(uint64_t now_ns);

  // Worker (a task from the main lcore): a resolved next hop; held frames for it leave.
  // False when the forwarder did not take it (its table is full: counted there).
  bool SetNextHop(uint32_t addr, const vs::NextHopEntry& entry);
  // Worker (a task): next hops no frame used for `idle_ns` are forgotten.
  size_t ForgetIdleNextHops(uint64_t idle_ns) { return forwarder_->ForgetIdle(now_ns_, idle_ns); }
  // Worker (a task): the addresses frames wait for, handed over once.
  void TakeWanted(std::vector<uint32_t>& out) {
    forwarder_->TakeWanted(out);
    wants_.store(false, std::memory_order_relaxed);
  }
  // Main lcore: whether there is anything to take (read without a task).
  bool wants_next_hops() const { return wants_.load(std::memory_order_relaxed); }

  vs::FrameForwarder& forwarder() { return *forwarder_; }
  const VsHoldCounters& hold_counters() const { return hold_; }
  size_t held_now() const { return n_held_; }

 private:
  struct Held {
    rte_mbuf* m = nullptr;
    uint32_t next_hop = 0;
    uint64_t deadline_ns = 0;
  };

  std::unique_ptr<vs::FrameForwarder> forwarder_;
  MbufDataPorts* ports_;
  uint64_t hold_ns_;
  std::array<Held, kMaxHeld> held_{};
  size_t n_held_ = 0;
  uint64_t now_ns_ = 0;  // the worker's last poll, for what tasks do
  VsHoldCounters hold_;
  std::atomic<bool> wants_{false};
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_VS_WORKER_H_
