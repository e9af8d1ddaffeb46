// SPDX-License-Identifier: BSD-3-Clause
// The worker lcore (DP-5, DP-6, DP-7): polls every port in bursts, classifies frames,
// pushes control frames to the public ring for the main lcore, and transmits what the
// main lcore queued. When idle for a while it sleeps in epoll on the AF_XDP sockets (the
// PMD has no Rx interrupts) so an idle node costs almost no CPU.
#ifndef DMPD_USERSPACE_DAEMON_WORKER_H_
#define DMPD_USERSPACE_DAEMON_WORKER_H_

#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "userspace/daemon/frame_classifier.h"
#include "userspace/daemon/mbuf_data_ports.h"
#include "userspace/daemon/port_counters.h"
#include "userspace/pipe/engine_mailbox.h"
#include "userspace/pipe/pipe_engine.h"
#include "userspace/daemon/vs_worker.h"
#include "userspace/daemon/worker_tasks.h"

namespace dmpd {

struct WorkerPort {
  uint16_t port_id = 0;
  rte_ring* tx_ring = nullptr;  // main lcore -> worker: frames to send on this port
  PortCounters* counters = nullptr;
};

struct WorkerContext {
  std::vector<WorkerPort> ports;
  rte_ring* control_ring = nullptr;  // the public ring: worker -> main lcore
  ClassifierConfig classifier;
  std::vector<int> xsk_fds;  // the AF_XDP sockets: readable when frames arrive
  int wake_eventfd = -1;     // written by the main lcore after queuing frames to send
  // Written after pushing control frames to the public ring, so the main lcore sleeps
  // until there is work. Control frames are rare next to data: one write per burst that
  // carries any is not a per-packet syscall.
  int control_eventfd = -1;
  // Pipes (DP-5): data frames go to the engine, which sends from the applications' rings
  // through data_ports; the main lcore's changes arrive in the mailbox. Null: no pipes, data
  // frames are counted and freed.
  pipe::PipeEngine* pipes = nullptr;
  pipe::EngineMailbox* pipe_mailbox = nullptr;
  MbufDataPorts* data_ports = nullptr;
  // The virtual service (issue 9): IPv4 frames the steering program redirected go here;
  // its state is reached from the main lcore only through `tasks`.
  VsWorker* vs = nullptr;
  WorkerTasks* tasks = nullptr;
  uint32_t idle_polls_before_sleep = 512;
  bool idle_yield = true;  // sched_yield between empty polls (DaemonConfig::idle_yield)
  uint32_t idle_sleep_max_us = 10000;
  std::atomic<bool> stop{false};
  std::atomic<bool> sleeps_on_sockets{true};  // false: epoll failed, the worker naps instead
  WorkerStats stats;
};

// rte_eal_remote_launch entry point; `arg` is a WorkerContext*.
int WorkerMain(void* arg);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_WORKER_H_
