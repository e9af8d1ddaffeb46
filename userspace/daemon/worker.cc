// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/worker.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sys/epoll.h>
#include <ctime>
#include <sched.h>
#include <unistd.h>

#include "userspace/xdp/unique_fd.h"

namespace dmpd {
namespace {

constexpr uint16_t kBurst = 32;

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no system call
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void HandleRx(WorkerContext& ctx, const WorkerPort& port, rte_mbuf** pkts, uint16_t n,
              uint64_t now_ns) {
  PortCounters& c = *port.counters;
  rte_mbuf* control[kBurst];
  unsigned n_control = 0;
  rte_mbuf* done[kBurst];  // freed together at the end of the burst
  unsigned n_done = 0;
  c.rx_frames.Add(n);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    // The PMD delivers each frame in one segment (XDP has no multi-buffer here).
    std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
    Classification cls = ClassifyFrame(frame, ctx.classifier);
    switch (cls.cls) {
      case FrameClass::kControl:
        control[n_control++] = m;
        continue;
      case FrameClass::kData:
        c.data_frames.Add();
        if (ctx.pipes != nullptr) {
          ctx.pipes->OnDataFrame(static_cast<size_t>(&port - ctx.ports.data()), cls.frame.header,
                                 cls.frame.payload, now_ns);
        }
        break;
      case FrameClass::kOwn:
        c.own_frames.Add();
        break;
      case FrameClass::kNotDmpd:
        c.not_dmpd.Add();
        if (ctx.vs != nullptr) {  // only the service's IPv4 frames are steered here
          ctx.vs->OnFrame(m, now_ns);
          continue;
        }
        break;
      case FrameClass::kRejected:
        c.rejected[static_cast<size_t>(cls.error)].Add();
        break;
    }
    done[n_done++] = m;
  }
  if (n_done > 0) rte_pktmbuf_free_bulk(done, n_done);
  if (n_control == 0) return;
  c.control_frames.Add(n_control);
  unsigned queued =
      rte_ring_enqueue_burst(ctx.control_ring, reinterpret_cast<void**>(control), n_control, nullptr);
  if (queued < n_control) {
    c.control_ring_full.Add(n_control - queued);
    rte_pktmbuf_free_bulk(control + queued, n_control - queued);
  }
  if (queued > 0) {
    uint64_t one = 1;
    (void)!write(ctx.control_eventfd, &one, sizeof(one));
  }
}

bool IsHello(const rte_mbuf* m) {
  return rte_pktmbuf_data_len(m) > kEthHeaderLen + 1 &&
         rte_pktmbuf_mtod(m, const uint8_t*)[kEthHeaderLen + 1] == DMPD_KIND_HELLO;
}

// Sends what the main lcore queued for this port; returns how many frames were sent.
uint16_t DrainTx(const WorkerPort& port) {
  rte_mbuf* pkts[kBurst];
  unsigned n = rte_ring_dequeue_burst(port.tx_ring, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  if (n == 0) return 0;
  if (port.counters->link_down.load(std::memory_order_relaxed)) {
    // The kernel would drop them silently and the PMD would count them as sent.
    port.counters->tx_link_down.Add(n);
    rte_pktmbuf_free_bulk(pkts, n);
    return 0;
  }
  // Look before sending: once sent, the mbufs belong to the PMD.
  bool hello[kBurst];
  for (unsigned i = 0; i < n; ++i) hello[i] = IsHello(pkts[i]);
  uint16_t sent = rte_eth_tx_burst(port.port_id, 0, pkts, static_cast<uint16_t>(n));
  if (sent < n) {
    port.counters->tx_dropped.Add(n - sent);
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  }
  uint64_t hellos = 0;
  for (unsigned i = 0; i < sent; ++i) hellos += hello[i];
  port.counters->tx_frames.Add(sent);
  port.counters->hellos_sent.Add(hellos);
  return sent;
}

}  // namespace

int WorkerMain(void* arg) {
  auto& ctx = *static_cast<WorkerContext*>(arg);
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  bool can_sleep = epoll.valid();
  for (int fd : ctx.xsk_fds) {
    epoll_event ev{.events = EPOLLIN, .data = {.fd = fd}};
    can_sleep = can_sleep && epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  }
  epoll_event wake{.events = EPOLLIN, .data = {.fd = ctx.wake_eventfd}};
  can_sleep = can_sleep && epoll_ctl(epoll.get(), EPOLL_CTL_ADD, ctx.wake_eventfd, &wake) == 0;
  ctx.sleeps_on_sockets.store(can_sleep, std::memory_order_relaxed);
  uint32_t idle_streak = 0;
  rte_mbuf* pkts[kBurst];
  while (!ctx.stop.load(std::memory_order_relaxed)) {
    uint32_t work = 0;
    const uint64_t now = MonotonicNs();
    if (ctx.tasks != nullptr) ctx.tasks->RunPending();
    if (ctx.pipes != nullptr) {
      work += static_cast<uint32_t>(ctx.pipe_mailbox->Drain(
          [&](const pipe::EngineCommand& c) { ctx.pipes->Apply(c, now); }));
    }
    for (const WorkerPort& port : ctx.ports) {
      uint16_t n = rte_eth_rx_burst(port.port_id, 0, pkts, kBurst);
      if (n > 0) HandleRx(ctx, port, pkts, n, now);
      work += n;
      work += DrainTx(port);
    }
    if (ctx.vs != nullptr) ctx.vs->Poll(now);
    if (ctx.pipes != nullptr) work += ctx.pipes->PollTx(now);
    if (ctx.data_ports != nullptr) ctx.data_ports->Flush();
    ctx.stats.polls.Add();
    if (work > 0) {
      idle_streak = 0;
      continue;
    }
    ctx.stats.empty_polls.Add();
    if (++idle_streak < ctx.idle_polls_before_sleep) {
      // Nothing to do now, and soon perhaps: let a thread that shares this core (an
      // application's, on a small machine) run now rather than after the idle polls.
      if (ctx.idle_yield) sched_yield();
      continue;
    }
    // Idle: sleep until a socket has frames, the main lcore queues a frame, or the
    // timeout (which also bounds how long a stop request waits).
    // The applications ring our wake eventfd when they queue a message while we sleep.
    if (ctx.pipes != nullptr && !ctx.pipes->PrepareToSleep()) {
      idle_streak = 0;
      continue;
    }
    ctx.stats.sleeps.Add();
    if (!can_sleep) {  // no epoll: a plain nap, so an idle worker still costs little
      timespec nap{.tv_sec = 0, .tv_nsec = 1000L * ctx.idle_sleep_max_us / 10};
      nanosleep(&nap, nullptr);
      if (ctx.pipes != nullptr) ctx.pipes->StopSleeping();
      continue;
    }
    epoll_event events[8];
    int n = epoll_wait(epoll.get(), events, 8, static_cast<int>(ctx.idle_sleep_max_us / 1000) + 1);
    for (int i = 0; i < n; ++i) {
      uint64_t drained;  // an eventfd must be read to rearm; sockets ignore this
      if (events[i].data.fd == ctx.wake_eventfd) {
        (void)!read(events[i].data.fd, &drained, sizeof(drained));
      }
    }
    if (n > 0) idle_streak = 0;
    if (ctx.pipes != nullptr) ctx.pipes->StopSleeping();
  }
  return 0;
}

}  // namespace dmpd
