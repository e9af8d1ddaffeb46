// SPDX-License-Identifier: BSD-3-Clause
// DataPlane: the one owner of everything DPDK on a node (DP-4, DP-5): the af_xdp ports,
// their tx rings, the public ring, the eventfds between the lcores and the worker lcore.
// The main lcore's modules reach the wire only through it, as a FrameTransport.
// Destroying it stops the worker and returns every port to the kernel (REL-3).
#ifndef DMPD_USERSPACE_DAEMON_DATA_PLANE_H_
#define DMPD_USERSPACE_DAEMON_DATA_PLANE_H_

#include <rte_ring.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "userspace/control/frame_transport.h"
#include "userspace/daemon/af_xdp_port.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/mbuf_data_ports.h"
#include "userspace/daemon/port_counters.h"
#include "userspace/daemon/worker.h"
#include "userspace/pipe/engine_mailbox.h"
#include "userspace/pipe/pipe_engine.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

class DataPlane final : public FrameTransport {
 public:
  // Opens every configured interface and launches the worker lcore (needs an initialised
  // EAL with a second lcore). `bpf_object_path`: the dmpd_steer object for the PMD.
  // `chooser`: the pipes' port choice (the load balancer), outliving the data plane; null
  // for the static hash. `first_pipe_epoch`: pipe::EngineOptions::first_epoch.
  static absl::StatusOr<std::unique_ptr<DataPlane>> Start(const DaemonConfig& config,
                                                          const std::string& bpf_object_path,
                                                          pipe::PortChooser* chooser,
                                                          uint8_t first_pipe_epoch);
  ~DataPlane() override;
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  // FrameTransport, on the main lcore.
  size_t port_count() const override { return ports_.size(); }
  MacAddress port_mac(size_t port) const override { return ports_[port]->mac(); }
  bool Transmit(size_t port, std::span<const uint8_t> frame) override;
  void Flush() override;

  // Readable when the worker has put control frames on the public ring.
  int control_event_fd() const { return control_frames_fd_.get(); }
  // Hands every control frame on the public ring to `fn` (local port index, whole
  // Ethernet frame) and frees it.
  void DrainControl(const std::function<void(size_t port, std::span<const uint8_t> frame)>& fn);

  // Reads each port's link from the kernel (up and carrier); logs each change once and
  // tells the worker, which drops frames queued for a down link (tx_link_down).
  void PollLinks();
  bool link_up(size_t port) const { return !counters_[port]->link_down.load(); }

  const AfXdpPort& port(size_t i) const { return *ports_[i]; }
  const PortCounters& counters(size_t i) const { return *counters_[i]; }
  const WorkerContext& worker() const { return worker_; }

  // Pipes: the worker's engine (counters are readable from here), changes posted to it
  // (false: the mailbox is full), the eventfd the applications ring to wake the worker, and
  // the one the worker rings to wake the application of a slot (-1: none).
  const pipe::PipeEngine& pipes() const { return *pipes_; }
  bool PostPipeCommand(const pipe::EngineCommand& c);
  int worker_wake_fd() const { return wake_fd_.get(); }
  // The share of the ports' mbufs in use, 0..1 (PIPE-3's buffer pressure).
  double BufferUseRatio() const;
  void SetAppDoorbell(uint32_t slot, int eventfd) {
    app_doorbells_[slot].store(eventfd, std::memory_order_release);
  }
  unsigned worker_lcore() const { return worker_lcore_; }

  // The virtual service's stage, owned by the worker: reach it through tasks() only.
  VsWorker& vs_worker() { return *vs_; }
  WorkerTasks& tasks() { return *tasks_; }

 private:
  DataPlane() = default;
  absl::Status Open(const DaemonConfig& config, const std::string& bpf_object_path,
                    pipe::PortChooser* chooser, uint8_t first_pipe_epoch);
  std::optional<bool> ReadLinkUp(const std::string& ifname) const;

  std::vector<std::unique_ptr<AfXdpPort>> ports_;
  std::vector<std::unique_ptr<PortCounters>> counters_;
  std::vector<rte_ring*> tx_rings_;
  std::vector<size_t> port_by_dpdk_id_;  // DPDK port id -> our index
  rte_ring* control_ring_ = nullptr;
  UniqueFd wake_fd_;            // main -> worker: frames queued to send
  UniqueFd control_frames_fd_;  // worker -> main: control frames on the public ring
  UniqueFd ioctl_socket_;       // for SIOCGIFFLAGS
  std::unique_ptr<MbufDataPorts> data_ports_;
  std::unique_ptr<pipe::PipeEngine> pipes_;
  std::unique_ptr<pipe::EngineMailbox> pipe_mailbox_;
  std::unique_ptr<VsWorker> vs_;
  std::unique_ptr<WorkerTasks> tasks_;
  std::unique_ptr<std::atomic<int>[]> app_doorbells_;
  WorkerContext worker_;
  unsigned worker_lcore_ = 0;
  bool worker_running_ = false;
  bool queued_ = false;  // frames queued since the last Flush()
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_DATA_PLANE_H_
