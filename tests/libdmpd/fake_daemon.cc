// SPDX-License-Identifier: BSD-3-Clause
#include "tests/libdmpd/fake_daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <variant>

#include "absl/strings/str_cat.h"
#include "userspace/runtime/fd_passing.h"

namespace dmpd::fake {

using pipe::MessageMeta;
using pipe::MessageView;
using pipe::PushStatus;
using pipe::ReadStatus;

namespace {
constexpr size_t kForwardBudget = 256;  // messages per pipe per pass: fairness between pipes

void Ring(int eventfd) {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(eventfd, &one, sizeof(one));
}
void Drain(int eventfd) {
  uint64_t v;
  [[maybe_unused]] ssize_t n = ::read(eventfd, &v, sizeof(v));
}
}  // namespace

struct FakeDaemon::PipeState {
  uint16_t id = 0;
  int session = -1;
  pipe::PipeConfig config;
  void* region = nullptr;
  size_t region_bytes = 0;
  size_t rx_offset = 0;
  std::optional<pipe::MessageRingConsumer> tx;  // app → us
  std::optional<pipe::MessageRingProducer> rx;  // us → app
  UniqueFd tx_doorbell;                         // the app rings us
  UniqueFd rx_doorbell;                         // we ring the app
  uint64_t next_sequence = 0;
  std::optional<MessageView> pending;  // read, its destination's ring was full
  uint16_t waiting_on = 0;             // that destination
  pipe::PipeCounters counters;
  // After a resize: the new tx ring, read once the old one is finished and read; the old
  // regions stay mapped until the pipe goes (a pending view may point into one).
  std::optional<pipe::MessageRingConsumer> next_tx;
  std::vector<std::pair<void*, size_t>> retired;
  ~PipeState() {
    if (region != nullptr) munmap(region, region_bytes);
    for (auto [r, n] : retired) munmap(r, n);
  }
  // Moves to the new tx ring once the application finished the old one and it is read.
  void FollowResize() {
    if (!next_tx.has_value() || pending.has_value() || !tx->Drained()) return;
    tx->Release();
    tx = *std::move(next_tx);
    next_tx.reset();
  }
};

namespace {
// A pipe's memfd with both rings initialised, mapped here, our ends attached.
struct NewRegion {
  UniqueFd memfd;
  void* region = nullptr;
  pipe::RegionLayout layout;
  std::optional<pipe::MessageRingConsumer> tx;
  std::optional<pipe::MessageRingProducer> rx;
};
absl::StatusOr<NewRegion> MakeRegion(uint64_t buffer_bytes, uint32_t max_message) {
  NewRegion n;
  n.layout = pipe::LayoutFor(buffer_bytes, max_message);
  const pipe::RegionLayout& l = n.layout;
  n.memfd = UniqueFd(memfd_create("dmpd-pipe", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!n.memfd.valid() || ftruncate(n.memfd.get(), off_t(l.total_bytes)) != 0) {
    return absl::ErrnoToStatus(errno, "memfd");
  }
  // The application maps it: it must never shrink under it (SIGBUS).
  fcntl(n.memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  void* region = mmap(nullptr, l.total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, n.memfd.get(), 0);
  if (region == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap");
  n.region = region;
  auto* rx_region = static_cast<std::byte*>(region) + l.rx_offset;
  absl::Status s = pipe::InitialiseMessageRing(region, l.ring_region_bytes, max_message);
  if (s.ok()) s = pipe::InitialiseMessageRing(rx_region, l.ring_region_bytes, max_message);
  auto tx = pipe::MessageRingConsumer::Attach(region, l.ring_region_bytes);
  auto rx = pipe::MessageRingProducer::Attach(rx_region, l.ring_region_bytes);
  if (!s.ok() || !tx.ok() || !rx.ok()) {
    munmap(region, l.total_bytes);
    return absl::InternalError("initialising or attaching the rings");
  }
  n.tx.emplace(std::move(*tx));
  n.rx.emplace(std::move(*rx));
  return n;
}
}  // namespace

absl::StatusOr<std::unique_ptr<FakeDaemon>> FakeDaemon::Start(const Options& options) {
  std::unique_ptr<FakeDaemon> d(new FakeDaemon(options));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (options.socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("socket path too long");
  }
  std::memcpy(addr.sun_path, options.socket_path.data(), options.socket_path.size());
  ::unlink(options.socket_path.c_str());
  d->listen_ = UniqueFd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!d->listen_.valid()) return absl::ErrnoToStatus(errno, "socket");
  if (::bind(d->listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind ", options.socket_path));
  }
  if (::listen(d->listen_.get(), 16) != 0) return absl::ErrnoToStatus(errno, "listen");
  d->wake_ = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!d->wake_.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  d->thread_ = std::thread([p = d.get()] { p->Run(); });
  return d;
}

FakeDaemon::FakeDaemon(const Options& o) : options_(o) {}

FakeDaemon::~FakeDaemon() {
  Kill();
  ::unlink(options_.socket_path.c_str());
}

void FakeDaemon::StopThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  Ring(wake_.get());
  if (thread_.joinable()) thread_.join();
}

void FakeDaemon::Kill() {
  StopThread();
  std::lock_guard<std::mutex> lock(mu_);
  if (killed_) return;
  killed_ = true;
  TearDownLocked();
}

void FakeDaemon::TearDownLocked() {
  pipes_.clear();
  sessions_.clear();
  listen_.Reset();
}

void FakeDaemon::SetForwarding(bool on) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    forwarding_ = on;
  }
  Ring(wake_.get());
}

size_t FakeDaemon::Forward() {
  std::lock_guard<std::mutex> lock(mu_);
  return ForwardLocked();
}

pipe::MessageRingConsumer* FakeDaemon::TxRing(uint16_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pipes_.find(id);
  return it == pipes_.end() ? nullptr : &*it->second->tx;
}
pipe::MessageRingProducer* FakeDaemon::RxRing(uint16_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pipes_.find(id);
  return it == pipes_.end() ? nullptr : &*it->second->rx;
}

std::optional<pipe::PipeCounters> FakeDaemon::Counters(uint16_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pipes_.find(id);
  if (it == pipes_.end()) return std::nullopt;
  return it->second->counters;
}
std::optional<pipe::PipeConfig> FakeDaemon::Config(uint16_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pipes_.find(id);
  if (it == pipes_.end()) return std::nullopt;
  return it->second->config;
}
size_t FakeDaemon::open_pipes() {
  std::lock_guard<std::mutex> lock(mu_);
  return pipes_.size();
}
bool FakeDaemon::AppWaits(uint16_t id, bool rx) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pipes_.find(id);
  if (it == pipes_.end()) return false;
  const PipeState& p = *it->second;
  // Read-only peeks at the flags the application sets (docs/pipes.md 1.2).
  if (rx) {
    const auto* h =
        reinterpret_cast<const pipe::RingHeader*>(static_cast<std::byte*>(p.region) + p.rx_offset);
    return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(h->consumer_sleeping)).load() != 0;
  }
  const auto* h = static_cast<const pipe::RingHeader*>(p.region);
  return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(h->producer_waiting)).load() != 0;
}

uint64_t FakeDaemon::resizes() {
  std::lock_guard<std::mutex> lock(mu_);
  return resizes_;
}

uint64_t FakeDaemon::sessions_accepted() {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

size_t FakeDaemon::ForwardLocked() {
  size_t moved = 0;
  for (auto& [id, src] : pipes_) {
    src->FollowResize();
    for (size_t i = 0; i < kForwardBudget; ++i) {
      MessageView v;
      if (src->pending.has_value()) {
        v = *src->pending;
      } else if (src->tx->TryRead(&v) != ReadStatus::kOk) {
        break;
      }
      src->pending.reset();
      auto dst_it = pipes_.find(v.meta.pipe);
      if (dst_it == pipes_.end()) {
        ++src->counters.dropped_no_route;  // PIPE-4: counted, never delivered elsewhere
        continue;
      }
      PipeState& dst = *dst_it->second;
      bool ring = false;
      const PushStatus s = dst.rx->TryPush(MessageMeta{.type = v.meta.type,
                                                       .flags = 0,
                                                       .node = options_.node,
                                                       .pipe = src->id,
                                                       .sequence = src->next_sequence},
                                           v.payload, &ring);
      if (s == PushStatus::kFull) {
        src->pending = v;
        src->waiting_on = dst.id;
        break;
      }
      if (s != PushStatus::kOk) {
        ++src->counters.dropped_too_large;
        continue;
      }
      ++src->next_sequence;
      ++src->counters.sent_messages;
      src->counters.sent_bytes += v.payload.size();
      ++dst.counters.received_messages;
      dst.counters.received_bytes += v.payload.size();
      if (ring) Ring(dst.rx_doorbell.get());
      ++moved;
    }
    // A pending view points into the tx ring: keep its room until it is delivered.
    if (!src->pending.has_value() && src->tx->Release()) Ring(src->rx_doorbell.get());
  }
  return moved;
}

void FakeDaemon::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<pollfd> fds;
  std::vector<uint16_t> pipe_of;  // fds index → pipe id for doorbells
  while (!stop_) {
    if (forwarding_ && ForwardLocked() > 0) {
      // Let the test thread in between passes.
      lock.unlock();
      lock.lock();
      continue;
    }
    // Announce sleep on every ring we wait on, then look once more (docs/pipes.md 1.2).
    bool sleep = true;
    if (forwarding_) {
      for (auto& [id, p] : pipes_) {
        if (!p->pending.has_value()) {
          if (!p->tx->PrepareToSleep()) sleep = false;
          if (p->next_tx && (!p->next_tx->PrepareToSleep() || p->tx->Drained())) sleep = false;
        } else if (auto d = pipes_.find(p->waiting_on); d == pipes_.end()) {
          sleep = false;  // its destination went: drop it on the next pass
        } else if (!d->second->rx->PrepareToWaitForSpace(
                       static_cast<uint32_t>(p->pending->payload.size()))) {
          sleep = false;
        }
      }
    }
    fds.clear();
    pipe_of.clear();
    fds.push_back({.fd = wake_.get(), .events = POLLIN, .revents = 0});
    fds.push_back({.fd = listen_.get(), .events = POLLIN, .revents = 0});
    for (auto& [fd, s] : sessions_) fds.push_back({.fd = fd, .events = POLLIN, .revents = 0});
    const size_t first_doorbell = fds.size();
    for (auto& [id, p] : pipes_) {
      fds.push_back({.fd = p->tx_doorbell.get(), .events = POLLIN, .revents = 0});
      pipe_of.push_back(id);
    }
    lock.unlock();
    int n;
    do {
      n = ::poll(fds.data(), fds.size(), sleep ? -1 : 0);
    } while (n < 0 && errno == EINTR);
    lock.lock();
    for (auto& [id, p] : pipes_) {
      p->tx->StopSleeping();
      if (p->next_tx) p->next_tx->StopSleeping();
      if (auto d = pipes_.find(p->waiting_on); p->pending.has_value() && d != pipes_.end()) {
        d->second->rx->StopWaiting();
      }
    }
    if (fds[0].revents != 0) Drain(wake_.get());
    for (size_t i = first_doorbell; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      if (auto it = pipes_.find(pipe_of[i - first_doorbell]); it != pipes_.end()) {
        Drain(it->second->tx_doorbell.get());
      }
    }
    if (fds[1].revents & POLLIN) {
      UniqueFd c(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (c.valid()) {
        ++accepted_;
        const int fd = c.get();
        sessions_.emplace(fd, std::move(c));
      }
    }
    for (size_t i = 2; i < first_doorbell; ++i) {
      if (fds[i].revents != 0) ServeSession(fds[i].fd, fds[i].revents);
    }
  }
}

void FakeDaemon::ServeSession(int fd, short revents) {
  for (;;) {
    absl::StatusOr<Datagram> d = ReceiveWithFds(fd, pipe::kMaxSessionDatagram, MSG_DONTWAIT);
    if (!d.ok()) {
      // EAGAIN (Unavailable) with the peer still there: all read. Otherwise the app is gone.
      if (absl::IsUnavailable(d.status()) && (revents & (POLLHUP | POLLERR)) == 0) return;
      DropSession(fd);
      return;
    }
    absl::StatusOr<pipe::SessionRequest> r = pipe::DecodeRequest(d->bytes);
    if (!r.ok()) {
      (void)SendWithFds(fd, pipe::EncodeReply(pipe::ErrorReply{r.status()}), {});
      continue;
    }
    HandleRequest(fd, *r);
  }
}

void FakeDaemon::DropSession(int fd) {
  std::vector<uint16_t> owned;
  for (auto& [id, p] : pipes_) {
    if (p->session == fd) owned.push_back(id);
  }
  for (uint16_t id : owned) RemovePipe(id);
  sessions_.erase(fd);
}

void FakeDaemon::RemovePipe(uint16_t id) {
  // Pending messages of other pipes towards it are dropped (counted) on the next pass.
  pipes_.erase(id);
}

void FakeDaemon::HandleRequest(int fd, const pipe::SessionRequest& request) {
  auto reply = [fd](const pipe::SessionReply& r, std::span<const int> fds = {}) {
    (void)SendWithFds(fd, pipe::EncodeReply(r), fds);
  };
  auto owned = [&](uint16_t id) -> PipeState* {
    auto it = pipes_.find(id);
    return it != pipes_.end() && it->second->session == fd ? it->second.get() : nullptr;
  };
  if (const auto* o = std::get_if<pipe::OpenRequest>(&request)) {
    const uint16_t id = o->config.pipe;
    if (pipes_.count(id) != 0) {
      reply(pipe::ErrorReply{absl::AlreadyExistsError(absl::StrCat(
          "pipe ", id, " is already open on node ", options_.node, " by another application"))});
      return;
    }
    auto p = std::make_unique<PipeState>();
    p->id = id;
    p->session = fd;
    p->config = o->config;
    absl::StatusOr<NewRegion> made = MakeRegion(o->config.buffer_bytes, options_.max_message);
    absl::Status s = made.status();
    UniqueFd mem;
    pipe::RegionLayout l;
    if (made.ok()) {
      mem = std::move(made->memfd);
      l = made->layout;
      p->region = made->region;
      p->region_bytes = l.total_bytes;
      p->rx_offset = l.rx_offset;
      p->tx = std::move(made->tx);
      p->rx = std::move(made->rx);
    }
    p->tx_doorbell = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    p->rx_doorbell = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (s.ok() && (!p->tx_doorbell.valid() || !p->rx_doorbell.valid())) {
      s = absl::ErrnoToStatus(errno, "eventfd");
    }
    if (!s.ok()) {
      reply(pipe::ErrorReply{absl::ResourceExhaustedError(std::string(s.message()))});
      return;
    }
    const int fds[3] = {mem.get(), p->tx_doorbell.get(), p->rx_doorbell.get()};
    reply(pipe::OpenReply{.pipe = id,
                          .node = options_.node,
                          .region_bytes = l.total_bytes,
                          .rx_offset = l.rx_offset,
                          .max_message = options_.max_message,
                          .granted = o->config},
          fds);
    pipes_.emplace(id, std::move(p));
  } else if (const auto* r = std::get_if<pipe::ReconfigureRequest>(&request)) {
    PipeState* p = owned(r->config.pipe);
    if (p == nullptr) {
      reply(pipe::ErrorReply{absl::NotFoundError(absl::StrCat("no pipe ", r->config.pipe))});
      return;
    }
    const uint64_t old_capacity =
        pipe::LayoutFor(p->config.buffer_bytes, options_.max_message).ring_capacity;
    if (pipe::LayoutFor(r->config.buffer_bytes, options_.max_message).ring_capacity ==
        old_capacity) {
      p->config = r->config;
      p->config.buffer_bytes = old_capacity;
      reply(pipe::OkReply{});
      return;
    }
    if (p->next_tx.has_value()) {
      reply(pipe::ErrorReply{absl::UnavailableError("the last resize is still under way")});
      return;
    }
    absl::StatusOr<NewRegion> made = MakeRegion(r->config.buffer_bytes, options_.max_message);
    if (!made.ok()) {
      reply(pipe::ErrorReply{absl::ResourceExhaustedError(std::string(made.status().message()))});
      return;
    }
    // As the daemon's worker: finish the old rx ring, deliver into the new one from now on.
    if (p->rx->Finish()) Ring(p->rx_doorbell.get());
    p->retired.emplace_back(p->region, p->region_bytes);
    p->region = made->region;
    p->region_bytes = made->layout.total_bytes;
    p->rx_offset = made->layout.rx_offset;
    p->rx = std::move(made->rx);
    p->next_tx = std::move(made->tx);
    p->config = r->config;
    p->config.buffer_bytes = made->layout.ring_capacity;
    ++resizes_;
    const int fds[1] = {made->memfd.get()};
    reply(pipe::ResizeReply{.region_bytes = made->layout.total_bytes,
                            .rx_offset = made->layout.rx_offset,
                            .granted = p->config},
          fds);
  } else if (const auto* c = std::get_if<pipe::CloseRequest>(&request)) {
    if (owned(c->pipe) == nullptr) {
      reply(pipe::ErrorReply{absl::NotFoundError(absl::StrCat("no pipe ", c->pipe))});
      return;
    }
    RemovePipe(c->pipe);
    reply(pipe::OkReply{});
  } else {
    const uint16_t id = std::get<pipe::StatsRequest>(request).pipe;
    PipeState* p = owned(id);
    if (p == nullptr) {
      reply(pipe::ErrorReply{absl::NotFoundError(absl::StrCat("no pipe ", id))});
      return;
    }
    reply(pipe::StatsReply{p->counters});
  }
}

}  // namespace dmpd::fake
