// SPDX-License-Identifier: BSD-3-Clause
// PipeService: the main lcore's side of pipes (PIPE-1, PIPE-2, REL-4, MON-4). It serves the
// applications' session socket (userspace/pipe/session_protocol.h): an open creates the
// pipe's shared memory (a sealed memfd holding its two rings) and doorbell, hands them over
// and tells the worker's engine; a close, or the application's socket closing (it exited or
// was killed), takes the pipe out of the engine and reclaims its memory once the worker has
// let go of it. It also keeps the engine's routes (each node's port MACs, from the cluster
// view or the neighbour table), and reports pipes to dmpdctl, status and monitoring.
#ifndef DMPD_USERSPACE_DAEMON_PIPE_SERVICE_H_
#define DMPD_USERSPACE_DAEMON_PIPE_SERVICE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/data_plane.h"
#include "userspace/monitor/pipe_stats_source.h"
#include "userspace/pipe/closed_pipe_log.h"
#include "userspace/pipe/feedback_controller.h"
#include "userspace/pipe/port_chooser.h"
#include "userspace/pipe/session_protocol.h"
#include "userspace/runtime/command_registry.h"
#include "userspace/runtime/event_loop.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

struct PipeServiceStats {
  uint64_t sessions_opened = 0;
  uint64_t sessions_closed = 0;
  uint64_t sessions_refused = 0;   // over the limit (2 a pipe slot), or unidentifiable
  uint64_t pipes_opened = 0;
  uint64_t pipes_closed = 0;       // by the application
  uint64_t pipes_reclaimed = 0;    // its application went away without closing
  uint64_t requests_refused = 0;   // error replies
  uint64_t bad_requests = 0;       // undecodable datagrams
};

class PipeService final : public monitor::PipeStatsSource {
 public:
  // Every node's port MACs, as far as this node knows them.
  using RouteSource = std::function<std::map<uint16_t, pipe::Route>()>;

  static absl::StatusOr<std::unique_ptr<PipeService>> Start(const DaemonConfig& config,
                                                            EventLoop& loop, DataPlane& data_plane,
                                                            CommandRegistry& commands,
                                                            RouteSource routes);
  ~PipeService() override;
  PipeService(const PipeService&) = delete;
  PipeService& operator=(const PipeService&) = delete;

  std::vector<monitor::PipeStats> PipeSnapshot() const override;
  nlohmann::json Report() const;
  const PipeServiceStats& stats() const { return stats_; }

 private:
  struct Session {
    UniqueFd fd;
    pid_t pid = 0;
    uid_t uid = 0;
  };
  enum class SlotState : uint8_t { kFree, kOpen, kClosing };
  struct Slot {
    SlotState state = SlotState::kFree;
    int session = -1;  // the session socket that opened it
    pid_t pid = 0;
    pipe::PipeConfig config;
    pipe::RegionLayout layout;
    void* map = nullptr;
    UniqueFd rx_doorbell;
    uint64_t close_target = 0;  // the engine's closed generation that frees it
    const char* closed_by = "closed";  // or "reclaimed": for the closed pipes' log
    // A resize under way (PIPE-2): the rings the worker may still read, freed when the
    // engine's resized generation reaches resize_target (or the slot is reclaimed).
    void* old_map = nullptr;
    pipe::RegionLayout old_layout;
    uint64_t resize_target = 0;
  };
  // A pipe's shared memory: a sealed memfd holding two initialised rings, mapped here.
  struct Region {
    UniqueFd memfd;
    void* map = nullptr;
  };

  PipeService(const DaemonConfig& config, EventLoop& loop, DataPlane& data_plane,
              RouteSource routes)
      : config_(config), loop_(loop), data_plane_(data_plane), routes_(std::move(routes)) {}
  absl::Status Listen();
  void Accept();
  void OnSession(int fd, uint32_t events);
  void EndSession(int fd);
  pipe::SessionReply Handle(int session, const pipe::SessionRequest& r, std::vector<int>* fds,
                            UniqueFd* memfd);
  absl::StatusOr<pipe::OpenReply> Open(int session, const pipe::PipeConfig& asked,
                                       std::vector<int>* fds, UniqueFd* memfd);
  absl::StatusOr<pipe::SessionReply> Reconfigure(uint32_t slot, const pipe::PipeConfig& asked,
                                                 std::vector<int>* fds, UniqueFd* memfd);
  absl::StatusOr<Region> CreateRegion(uint16_t pipe, const pipe::RegionLayout& layout);
  absl::Status CheckBudget(const pipe::RegionLayout& layout) const;
  absl::StatusOr<uint32_t> OwnedSlot(int session, uint16_t pipe) const;
  void Close(uint32_t slot);
  nlohmann::json SlotJson(uint32_t slot) const;  // one pipe of `dmpdctl pipes`
  void FreeOldRings(Slot& s);
  void Reap();
  void RefreshRoutes();
  void Feedback();  // PIPE-3, every 200 ms
  void Register(CommandRegistry& commands);

  DaemonConfig config_;
  EventLoop& loop_;
  DataPlane& data_plane_;
  RouteSource routes_;
  UniqueFd listen_fd_;
  std::map<int, Session> sessions_;
  std::vector<Slot> slots_;
  std::map<uint16_t, uint32_t> slot_of_pipe_;
  pipe::ClosedPipeLog closed_;  // the last pipes freed, with their final counters
  uint64_t memory_used_ = 0;
  std::map<uint16_t, pipe::Route> posted_routes_;
  PipeServiceStats stats_;
  TimerQueue::TimerId reaper_ = 0;
  TimerQueue::TimerId router_ = 0;
  TimerQueue::TimerId feedback_timer_ = 0;
  pipe::FeedbackController feedback_;
  pipe::NodePressure pressure_;
  uint64_t feedback_at_ns_ = 0;
  uint64_t worker_polls_ = 0, worker_empty_polls_ = 0;
  std::vector<uint64_t> sent_bytes_;  // per slot, at the last feedback step
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_PIPE_SERVICE_H_
