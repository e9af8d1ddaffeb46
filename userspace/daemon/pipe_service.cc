// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/pipe_service.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "userspace/daemon/log.h"
#include "userspace/pipe/message_ring.h"
#include "userspace/runtime/connection_server.h"
#include "userspace/runtime/fd_passing.h"

namespace dmpd {
namespace {

using nlohmann::json;
constexpr uint64_t kMs = 1'000'000;

std::string Owner(pid_t pid) { return absl::StrCat("pid ", pid); }

}  // namespace

absl::StatusOr<std::unique_ptr<PipeService>> PipeService::Start(const DaemonConfig& config,
                                                                EventLoop& loop,
                                                                DataPlane& data_plane,
                                                                CommandRegistry& commands,
                                                                RouteSource routes) {
  std::unique_ptr<PipeService> s(new PipeService(config, loop, data_plane, std::move(routes)));
  s->slots_.resize(data_plane.pipes().max_pipes());
  if (absl::Status st = s->Listen(); !st.ok()) return st;
  s->Register(commands);
  PipeService* self = s.get();
  // Closing pipes wait for the worker to let go of their memory: checked often, cheaply.
  s->reaper_ = loop.timers().Every(10 * kMs, 10 * kMs, [self] { self->Reap(); });
  s->router_ = loop.timers().Every(100 * kMs, 0, [self] { self->RefreshRoutes(); });
  s->feedback_timer_ = loop.timers().Every(200 * kMs, 200 * kMs, [self] { self->Feedback(); });
  s->sent_bytes_.assign(s->slots_.size(), 0);
  return s;
}

PipeService::~PipeService() {
  loop_.timers().Cancel(reaper_);
  loop_.timers().Cancel(router_);
  loop_.timers().Cancel(feedback_timer_);
  for (auto& [fd, session] : sessions_) loop_.Unwatch(fd);
  if (listen_fd_.valid()) {
    loop_.Unwatch(listen_fd_.get());
    ::unlink(config_.pipe_socket.c_str());
  }
  // The worker still runs: take every pipe out of the engine and unmap what it let go of
  // (within a second; a mapping it still holds is left to the process exit).
  for (uint32_t i = 0; i < slots_.size(); ++i) Close(i);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    Reap();
    const bool closing = std::any_of(slots_.begin(), slots_.end(),
                                     [](const Slot& s) { return s.state == SlotState::kClosing; });
    if (!closing || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

absl::Status PipeService::Listen() {
  absl::StatusOr<UniqueFd> fd = ListenUnix(config_.pipe_socket, SOCK_SEQPACKET);
  if (!fd.ok()) {
    return absl::Status(fd.status().code(),
                        absl::StrCat("pipe_socket ", config_.pipe_socket, ": ", fd.status().message()));
  }
  listen_fd_ = *std::move(fd);
  // REL-4: 0660, owned by the pipe group, so that only root and its members connect.
  if (const group* g = getgrnam(config_.pipe_group.c_str()); g != nullptr) {
    if (chown(config_.pipe_socket.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("chown ", config_.pipe_socket));
    }
  } else {
    Log(LogLevel::kWarning, "pipes",
        absl::StrCat("group ", config_.pipe_group, " does not exist: only root may open pipes"));
  }
  if (absl::Status s = loop_.Watch(listen_fd_.get(), EPOLLIN, [this](uint32_t) { Accept(); });
      !s.ok()) {
    return s;
  }
  Log(LogLevel::kInfo, "pipes",
      absl::StrCat("applications connect at ", config_.pipe_socket, " (group ", config_.pipe_group,
                   "), ", slots_.size(), " pipes, ", config_.pipe_memory_mb, " MiB of rings"));
  return absl::OkStatus();
}

void PipeService::Accept() {
  for (;;) {
    UniqueFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN: all taken
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      ++stats_.sessions_refused;
      continue;
    }
    // Bounded like every other thing a client can make us hold (REL-5): a session costs a
    // descriptor, so at most two a pipe slot.
    if (sessions_.size() >= std::max<size_t>(16, 2 * slots_.size())) {
      ++stats_.sessions_refused;
      (void)SendWithFds(fd.get(), pipe::EncodeReply(pipe::ErrorReply{absl::ResourceExhaustedError(
                                      "too many application sessions on this node")}),
                        {});
      continue;
    }
    const int raw = fd.get();
    if (!loop_.Watch(raw, EPOLLIN, [this, raw](uint32_t events) { OnSession(raw, events); }).ok()) {
      ++stats_.sessions_refused;
      continue;
    }
    sessions_[raw] = Session{std::move(fd), cred.pid, cred.uid};
    ++stats_.sessions_opened;
    Log(LogLevel::kDebug, "pipes", absl::StrCat("session from pid ", cred.pid, " uid ", cred.uid));
  }
}

void PipeService::OnSession(int fd, uint32_t events) {
  // Read every request queued; a hang-up or error ends the session after that.
  for (;;) {
    absl::StatusOr<Datagram> d = ReceiveWithFds(fd, pipe::kMaxSessionDatagram, MSG_DONTWAIT);
    if (!d.ok()) {
      if (absl::IsUnavailable(d.status())) {
        break;  // EAGAIN
      }
      EndSession(fd);  // closed, or a protocol violation (truncated)
      return;
    }
    pipe::SessionReply reply;
    std::vector<int> fds;
    UniqueFd memfd;
    if (!d->fds.empty()) {
      ++stats_.bad_requests;
      reply = pipe::ErrorReply{absl::InvalidArgumentError("requests carry no descriptors")};
    } else if (absl::StatusOr<pipe::SessionRequest> r = pipe::DecodeRequest(d->bytes); !r.ok()) {
      ++stats_.bad_requests;
      reply = pipe::ErrorReply{r.status()};
    } else {
      reply = Handle(fd, *r, &fds, &memfd);
    }
    if (std::holds_alternative<pipe::ErrorReply>(reply)) ++stats_.requests_refused;
    if (!SendWithFds(fd, pipe::EncodeReply(reply), fds).ok()) {
      EndSession(fd);  // it does not read its replies: its pipes go
      return;
    }
  }
  if (events & (EPOLLHUP | EPOLLERR)) EndSession(fd);
}

void PipeService::EndSession(int fd) {
  auto it = sessions_.find(fd);
  if (it == sessions_.end()) return;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state == SlotState::kOpen && slots_[i].session == fd) {
      ++stats_.pipes_reclaimed;
      Log(LogLevel::kInfo, "pipes",
          absl::StrCat("pipe ", slots_[i].config.pipe, ": its application (",
                       Owner(slots_[i].pid), ") went away; reclaimed"));
      slots_[i].closed_by = "reclaimed";
      Close(i);
    }
  }
  loop_.Unwatch(fd);
  sessions_.erase(it);  // closes the socket
  ++stats_.sessions_closed;
}

pipe::SessionReply PipeService::Handle(int session, const pipe::SessionRequest& r,
                                       std::vector<int>* fds, UniqueFd* memfd) {
  if (const auto* o = std::get_if<pipe::OpenRequest>(&r)) {
    absl::StatusOr<pipe::OpenReply> reply = Open(session, o->config, fds, memfd);
    if (!reply.ok()) return pipe::ErrorReply{reply.status()};
    return *reply;
  }
  if (const auto* re = std::get_if<pipe::ReconfigureRequest>(&r)) {
    absl::StatusOr<uint32_t> slot = OwnedSlot(session, re->config.pipe);
    if (!slot.ok()) return pipe::ErrorReply{slot.status()};
    absl::StatusOr<pipe::SessionReply> reply = Reconfigure(*slot, re->config, fds, memfd);
    if (!reply.ok()) return pipe::ErrorReply{reply.status()};
    return *reply;
  }
  if (const auto* cl = std::get_if<pipe::CloseRequest>(&r)) {
    absl::StatusOr<uint32_t> slot = OwnedSlot(session, cl->pipe);
    if (!slot.ok()) return pipe::ErrorReply{slot.status()};
    ++stats_.pipes_closed;
    Close(*slot);
    return pipe::OkReply{};
  }
  const auto& st = std::get<pipe::StatsRequest>(r);
  absl::StatusOr<uint32_t> slot = OwnedSlot(session, st.pipe);
  if (!slot.ok()) return pipe::ErrorReply{slot.status()};
  return pipe::StatsReply{data_plane_.pipes().slot_counters(*slot).Snapshot()};
}

absl::StatusOr<uint32_t> PipeService::OwnedSlot(int session, uint16_t pipe) const {
  auto it = slot_of_pipe_.find(pipe);
  if (it == slot_of_pipe_.end() || slots_[it->second].state != SlotState::kOpen) {
    return absl::NotFoundError(absl::StrCat("pipe ", pipe, " is not open"));
  }
  if (slots_[it->second].session != session) {
    return absl::PermissionDeniedError(
        absl::StrCat("pipe ", pipe, " belongs to another application (", Owner(slots_[it->second].pid), ")"));
  }
  return it->second;
}

absl::StatusOr<pipe::OpenReply> PipeService::Open(int session, const pipe::PipeConfig& asked,
                                                  std::vector<int>* fds, UniqueFd* memfd) {
  if (auto it = slot_of_pipe_.find(asked.pipe); it != slot_of_pipe_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("pipe ", asked.pipe, " is open by another ",
                                                 slots_[it->second].session == session ? "handle of this application" : "application",
                                                 " (", Owner(slots_[it->second].pid), ")"));
  }
  uint32_t slot = 0;
  while (slot < slots_.size() && slots_[slot].state != SlotState::kFree) ++slot;
  if (slot == slots_.size()) {
    return absl::ResourceExhaustedError(absl::StrCat("all ", slots_.size(), " pipes are in use (max_pipes)"));
  }
  const uint32_t max_message = data_plane_.pipes().max_message();
  pipe::PipeConfig granted = asked;
  if (granted.rate_bytes_per_s > 0 && granted.burst_bytes == 0) {
    // A tenth of a second of the rate, and at least one largest message.
    granted.burst_bytes = std::max<uint64_t>(max_message, granted.rate_bytes_per_s / 10);
  }
  const pipe::RegionLayout layout = pipe::LayoutFor(granted.buffer_bytes, max_message);
  granted.buffer_bytes = layout.ring_capacity;
  if (absl::Status b = CheckBudget(layout); !b.ok()) return b;
  absl::StatusOr<Region> region = CreateRegion(asked.pipe, layout);
  if (!region.ok()) return region.status();
  UniqueFd fd = std::move(region->memfd);
  void* map = region->map;
  auto* base = static_cast<std::byte*>(map);
  UniqueFd doorbell(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!doorbell.valid()) {
    const int e = errno;
    munmap(map, layout.total_bytes);
    return absl::ErrnoToStatus(e, "eventfd");
  }
  data_plane_.SetAppDoorbell(slot, doorbell.get());
  pipe::EngineCommand c;
  c.op = pipe::EngineCommand::Op::kOpen;
  c.slot = slot;
  c.config = granted;
  c.region = {base, layout.ring_region_bytes, base + layout.rx_offset, layout.ring_region_bytes};
  if (!data_plane_.PostPipeCommand(c)) {
    data_plane_.SetAppDoorbell(slot, -1);
    munmap(map, layout.total_bytes);
    return absl::UnavailableError("the worker is not taking changes; retry");
  }
  Slot& s = slots_[slot];
  s.state = SlotState::kOpen;
  s.session = session;
  s.pid = sessions_[session].pid;
  s.config = granted;
  s.layout = layout;
  s.map = map;
  s.rx_doorbell = std::move(doorbell);
  slot_of_pipe_[granted.pipe] = slot;
  memory_used_ += layout.total_bytes;
  ++stats_.pipes_opened;
  fds->push_back(fd.get());
  fds->push_back(data_plane_.worker_wake_fd());
  fds->push_back(s.rx_doorbell.get());
  *memfd = std::move(fd);  // closed after the reply went out; the mappings stay
  Log(LogLevel::kInfo, "pipes",
      absl::StrCat("pipe ", granted.pipe, " open (", Owner(s.pid), "): priority ",
                   granted.priority, ", ", granted.copies, " cop", granted.copies == 1 ? "y" : "ies",
                   ", rings of ", layout.ring_capacity, " bytes",
                   granted.rate_bytes_per_s ? absl::StrCat(", ", granted.rate_bytes_per_s, " B/s") : ""));
  pipe::OpenReply reply;
  reply.pipe = granted.pipe;
  reply.node = config_.node;
  reply.region_bytes = layout.total_bytes;
  reply.rx_offset = layout.rx_offset;
  reply.max_message = max_message;
  reply.granted = granted;
  return reply;
}

absl::Status PipeService::CheckBudget(const pipe::RegionLayout& layout) const {
  if (memory_used_ + layout.total_bytes <= uint64_t{config_.pipe_memory_mb} << 20) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("pipe memory exhausted: ", memory_used_ >> 20, " of ", config_.pipe_memory_mb,
                   " MiB in use, this pipe needs ", (layout.total_bytes + (1 << 20) - 1) >> 20,
                   " MiB (ask for a smaller buffer)"));
}

absl::StatusOr<PipeService::Region> PipeService::CreateRegion(uint16_t pipe,
                                                              const pipe::RegionLayout& layout) {
  Region r;
  r.memfd.Reset(memfd_create(absl::StrCat("dmpd-pipe-", pipe).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!r.memfd.valid()) return absl::ErrnoToStatus(errno, "memfd_create");
  if (ftruncate(r.memfd.get(), static_cast<off_t>(layout.total_bytes)) != 0) {
    return absl::ErrnoToStatus(errno, "ftruncate");
  }
  // Sealed at this size: an application cannot shrink it under the worker (SIGBUS).
  if (fcntl(r.memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return absl::ErrnoToStatus(errno, "sealing the pipe memory");
  }
  r.map = mmap(nullptr, layout.total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, r.memfd.get(), 0);
  if (r.map == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap");
  auto* base = static_cast<std::byte*>(r.map);
  const uint32_t max_message = data_plane_.pipes().max_message();
  absl::Status init = pipe::InitialiseMessageRing(base, layout.ring_region_bytes, max_message);
  if (init.ok()) {
    init = pipe::InitialiseMessageRing(base + layout.rx_offset, layout.ring_region_bytes, max_message);
  }
  if (!init.ok()) {
    munmap(r.map, layout.total_bytes);
    return init;
  }
  return r;
}

absl::StatusOr<pipe::SessionReply> PipeService::Reconfigure(uint32_t slot,
                                                            const pipe::PipeConfig& asked,
                                                            std::vector<int>* fds,
                                                            UniqueFd* memfd) {
  Slot& s = slots_[slot];
  pipe::PipeConfig granted = asked;
  if (granted.rate_bytes_per_s > 0 && granted.burst_bytes == 0) {
    granted.burst_bytes = std::max<uint64_t>(pipe::kMaxRingMessage, granted.rate_bytes_per_s / 10);
  }
  const pipe::RegionLayout layout =
      pipe::LayoutFor(asked.buffer_bytes, data_plane_.pipes().max_message());
  const bool resize = layout.ring_capacity != s.layout.ring_capacity;
  granted.buffer_bytes = s.layout.ring_capacity;
  if (resize) {
    if (s.old_map != nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "pipe ", asked.pipe, ": the last resize is still under way (its old rings are not "
          "read to the end yet); retry"));
    }
    if (absl::Status b = CheckBudget(layout); !b.ok()) return b;
  }
  pipe::EngineCommand c;
  c.op = pipe::EngineCommand::Op::kReconfigure;
  c.slot = slot;
  c.config = granted;
  if (!data_plane_.PostPipeCommand(c)) {
    return absl::UnavailableError("the worker is not taking changes; retry");
  }
  s.config = granted;
  if (!resize) return pipe::OkReply{};

  absl::StatusOr<Region> region = CreateRegion(asked.pipe, layout);
  if (!region.ok()) return region.status();
  auto* base = static_cast<std::byte*>(region->map);
  c.op = pipe::EngineCommand::Op::kResize;
  c.config.buffer_bytes = layout.ring_capacity;
  c.region = {base, layout.ring_region_bytes, base + layout.rx_offset, layout.ring_region_bytes};
  const uint64_t target = data_plane_.pipes().resized_generation(slot) + 1;
  if (!data_plane_.PostPipeCommand(c)) {
    munmap(region->map, layout.total_bytes);
    return absl::UnavailableError("the worker is not taking changes; retry");
  }
  Log(LogLevel::kInfo, "pipes",
      absl::StrCat("pipe ", asked.pipe, " (", Owner(s.pid), "): rings resized from ",
                   s.layout.ring_capacity, " to ", layout.ring_capacity, " bytes"));
  s.old_map = s.map;
  s.old_layout = s.layout;
  s.resize_target = target;
  s.map = region->map;
  s.layout = layout;
  s.config.buffer_bytes = layout.ring_capacity;
  memory_used_ += layout.total_bytes;
  fds->push_back(region->memfd.get());
  *memfd = std::move(region->memfd);  // closed after the reply went out
  return pipe::ResizeReply{.region_bytes = layout.total_bytes,
                           .rx_offset = layout.rx_offset,
                           .granted = s.config};
}

void PipeService::Close(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.state != SlotState::kOpen) return;
  pipe::EngineCommand c;
  c.op = pipe::EngineCommand::Op::kClose;
  c.slot = slot;
  s.close_target = data_plane_.pipes().closed_generation(slot) + 1;
  s.state = SlotState::kClosing;
  slot_of_pipe_.erase(s.config.pipe);  // the id is free at once; the slot once reclaimed
  if (!data_plane_.PostPipeCommand(c)) {
    // The mailbox is full: the reaper posts it again.
    s.close_target = 0;
  }
}

void PipeService::FreeOldRings(Slot& s) {
  if (s.old_map == nullptr) return;
  munmap(s.old_map, s.old_layout.total_bytes);
  memory_used_ -= s.old_layout.total_bytes;
  s.old_map = nullptr;
  s.old_layout = {};
}

void PipeService::Reap() {
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.state == SlotState::kOpen && s.old_map != nullptr &&
        data_plane_.pipes().resized_generation(i) >= s.resize_target) {
      FreeOldRings(s);  // the worker moved to the new rings
    }
    if (s.state != SlotState::kClosing) continue;
    if (s.close_target == 0) {  // the close did not get into the mailbox: again
      pipe::EngineCommand c;
      c.op = pipe::EngineCommand::Op::kClose;
      c.slot = i;
      const uint64_t target = data_plane_.pipes().closed_generation(i) + 1;
      if (data_plane_.PostPipeCommand(c)) s.close_target = target;
      continue;
    }
    if (data_plane_.pipes().closed_generation(i) < s.close_target) continue;
    // The worker holds nothing of it any more: its counters are final.
    closed_.Add(SlotJson(i), absl::ToUnixMillis(loop_.clock().Wall()), s.closed_by);
    data_plane_.SetAppDoorbell(i, -1);
    FreeOldRings(s);
    munmap(s.map, s.layout.total_bytes);
    memory_used_ -= s.layout.total_bytes;
    s = Slot{};
  }
}

void PipeService::RefreshRoutes() {
  std::map<uint16_t, pipe::Route> now = routes_ ? routes_() : std::map<uint16_t, pipe::Route>{};
  for (const auto& [node, route] : now) {
    auto old = posted_routes_.find(node);
    if (old != posted_routes_.end() && old->second.count == route.count &&
        std::equal(route.macs.begin(), route.macs.begin() + route.count, old->second.macs.begin())) {
      continue;
    }
    pipe::EngineCommand c;
    c.op = pipe::EngineCommand::Op::kSetRoute;
    c.route_node = node;
    c.route_ports = route.count;
    c.route_macs = route.macs;
    if (data_plane_.PostPipeCommand(c)) posted_routes_[node] = route;
  }
  for (auto it = posted_routes_.begin(); it != posted_routes_.end();) {
    if (now.count(it->first) > 0) {
      ++it;
      continue;
    }
    pipe::EngineCommand c;
    c.op = pipe::EngineCommand::Op::kClearRoute;
    c.route_node = it->first;
    if (data_plane_.PostPipeCommand(c)) {
      it = posted_routes_.erase(it);
    } else {
      ++it;
    }
  }
}

void PipeService::Feedback() {
  const uint64_t now = loop_.clock().MonotonicNs();
  const double dt = feedback_at_ns_ == 0 ? 0 : static_cast<double>(now - feedback_at_ns_) / 1e9;
  feedback_at_ns_ = now;
  const WorkerStats& w = data_plane_.worker().stats;
  const uint64_t polls = w.polls.Get(), empty = w.empty_polls.Get();
  pipe::NodePressure p;
  p.buffers = data_plane_.BufferUseRatio();
  p.ring_memory = static_cast<double>(memory_used_) / static_cast<double>(uint64_t{config_.pipe_memory_mb} << 20);
  if (polls > worker_polls_) {
    p.worker_busy = 1.0 - static_cast<double>(empty - worker_empty_polls_) /
                              static_cast<double>(polls - worker_polls_);
  }
  worker_polls_ = polls;
  worker_empty_polls_ = empty;
  std::vector<pipe::PipeLoad> loads;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    const uint64_t sent = data_plane_.pipes().slot_counters(i).sent_bytes.Get();
    const uint64_t before = sent_bytes_[i];
    sent_bytes_[i] = sent;
    if (slots_[i].state != SlotState::kOpen || dt <= 0) continue;
    loads.push_back({.slot = i,
                     .priority = slots_[i].config.priority,
                     .configured_bytes_per_s = slots_[i].config.rate_bytes_per_s,
                     .sent_bytes_per_s = static_cast<double>(sent - std::min(sent, before)) / dt});
  }
  pressure_ = p;
  const bool was_short = feedback_.short_of_resources();
  for (const pipe::Allowance& a : feedback_.Step(p, loads)) {
    pipe::EngineCommand c;
    c.op = pipe::EngineCommand::Op::kSetAllowance;
    c.slot = a.slot;
    c.config.rate_bytes_per_s = a.bytes_per_s.value_or(0);
    (void)data_plane_.PostPipeCommand(c);  // a full mailbox: the next step sends it again
  }
  if (feedback_.short_of_resources() != was_short) {
    Log(feedback_.short_of_resources() ? LogLevel::kWarning : LogLevel::kInfo, "pipes",
        feedback_.short_of_resources()
            ? absl::StrCat("short of resources (buffers ", *p.buffers, ", ring memory ",
                           *p.ring_memory, ", worker busy ", p.worker_busy.value_or(0),
                           "): low-priority pipes are held back")
            : "resources back: held-back pipes recover");
  }
}

std::vector<monitor::PipeStats> PipeService::PipeSnapshot() const {
  std::vector<monitor::PipeStats> out;
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.state == SlotState::kFree) continue;
    const pipe::SlotCounters& c = data_plane_.pipes().slot_counters(i);
    monitor::PipeStats p;
    p.id = s.config.pipe;
    p.name = absl::StrCat("pipe", s.config.pipe);
    p.state = s.state != SlotState::kOpen   ? "closing"
              : feedback_.allowance(i) ? "throttled"  // held back by feedback (PIPE-3)
                                       : "open";
    p.priority = s.config.priority;
    p.capacity_bytes = 2 * s.layout.ring_capacity;
    if (s.state == SlotState::kOpen) {
      auto* base = static_cast<std::byte*>(s.map);
      p.fill_bytes = pipe::ObserveRingFill(base) + pipe::ObserveRingFill(base + s.layout.rx_offset);
    }
    p.tx_messages = c.sent_messages.Get();
    p.rx_messages = c.received_messages.Get();
    p.tx_bytes = c.sent_bytes.Get();
    p.rx_bytes = c.received_bytes.Get();
    p.dropped_messages = c.dropped_rx_full.Get() + c.dropped_no_route.Get() +
                         c.dropped_too_large.Get() + c.dropped_no_buffer.Get();
    out.push_back(std::move(p));
  }
  return out;
}

json PipeService::SlotJson(uint32_t i) const {
  const Slot& s = slots_[i];
  const pipe::SlotCounters& c = data_plane_.pipes().slot_counters(i);
  auto* base = static_cast<std::byte*>(s.map);
  return {{"pipe", s.config.pipe},
         {"slot", i},
         {"state", s.state == SlotState::kOpen ? "open" : "closing"},
         {"pid", s.pid},
         {"priority", s.config.priority},
         {"copies", s.config.copies},
         {"rate_bytes_per_s", s.config.rate_bytes_per_s},
         {"burst_bytes", s.config.burst_bytes},
         {"ring_bytes", s.layout.ring_capacity},
         {"resizing", s.old_map != nullptr},
         {"tx_fill_bytes", s.state == SlotState::kOpen ? pipe::ObserveRingFill(base) : 0},
         {"rx_fill_bytes",
          s.state == SlotState::kOpen ? pipe::ObserveRingFill(base + s.layout.rx_offset) : 0},
         {"sent_messages", c.sent_messages.Get()},
         {"sent_bytes", c.sent_bytes.Get()},
         {"sent_frames", c.sent_frames.Get()},
         {"received_messages", c.received_messages.Get()},
         {"received_bytes", c.received_bytes.Get()},
         {"dropped_rx_full", c.dropped_rx_full.Get()},
         {"dropped_no_route", c.dropped_no_route.Get()},
         {"dropped_too_large", c.dropped_too_large.Get()},
         {"dropped_no_buffer", c.dropped_no_buffer.Get()},
         {"degraded_copies", c.degraded_copies.Get()},
         {"duplicates", c.duplicates.Get()},
         {"out_of_order", c.out_of_order.Get()},
         {"rate_limited_ns", c.rate_limited_ns.Get()},
         {"allowance_bytes_per_s",
          feedback_.allowance(i) ? json(*feedback_.allowance(i)) : json(nullptr)}};
}

json PipeService::Report() const {
  json pipes = json::array();
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state != SlotState::kFree) pipes.push_back(SlotJson(i));
  }
  json engine = json::object();
#define DMPD_ENGINE_COUNTER_JSON(name, doc) engine[#name] = data_plane_.pipes().counters().name.Get();
  DMPD_ENGINE_COUNTERS(DMPD_ENGINE_COUNTER_JSON)
#undef DMPD_ENGINE_COUNTER_JSON
  return {{"pipes", std::move(pipes)},
          {"closed", closed_.Json()},
          {"closed_kept", pipe::ClosedPipeLog::kDefaultCapacity},
          {"engine", std::move(engine)},
          {"sessions", sessions_.size()},
          {"max_pipes", slots_.size()},
          {"memory_bytes", memory_used_},
          {"memory_limit_bytes", uint64_t{config_.pipe_memory_mb} << 20},
          {"routes", posted_routes_.size()},
          {"feedback",
           {{"short_of_resources", feedback_.short_of_resources()},
            {"buffers", pressure_.buffers ? json(*pressure_.buffers) : json(nullptr)},
            {"ring_memory", pressure_.ring_memory ? json(*pressure_.ring_memory) : json(nullptr)},
            {"worker_busy", pressure_.worker_busy ? json(*pressure_.worker_busy) : json(nullptr)}}},
          {"socket", config_.pipe_socket},
          {"service",
           {{"sessions_opened", stats_.sessions_opened},
            {"sessions_closed", stats_.sessions_closed},
            {"sessions_refused", stats_.sessions_refused},
            {"pipes_opened", stats_.pipes_opened},
            {"pipes_closed", stats_.pipes_closed},
            {"pipes_reclaimed", stats_.pipes_reclaimed},
            {"requests_refused", stats_.requests_refused},
            {"bad_requests", stats_.bad_requests}}}};
}

void PipeService::Register(CommandRegistry& commands) {
  commands.Register("pipes", "", "every open pipe: owner, priority, rings, rates, drops",
                    [this](const CommandRegistry::Args&) -> absl::StatusOr<json> { return Report(); });
  commands.AddStatusSection([this](json& s) {
    s["pipes"] = {{"open", slot_of_pipe_.size()},
                  {"sessions", sessions_.size()},
                  {"memory_bytes", memory_used_},
                  {"short_of_resources", feedback_.short_of_resources()},
                  {"no_pipe", data_plane_.pipes().counters().no_pipe.Get()}};
  });
}

}  // namespace dmpd
