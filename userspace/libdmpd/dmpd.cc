// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/libdmpd/dmpd.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "userspace/runtime/fd_passing.h"

namespace dmpd::app {
namespace {

using pipe::MessageMeta;
using pipe::PushStatus;
using pipe::ReadStatus;

// How long a set-up request may wait for the daemon's answer.
constexpr int kReplyTimeoutMs = 5000;
// The memfd carries the tx ring, the rx ring; then the two doorbells.
constexpr size_t kOpenFds = 3;

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

uint64_t DeadlineAfter(std::chrono::nanoseconds timeout) {
  const int64_t t = std::max<int64_t>(timeout.count(), 0);
  return MonotonicNs() + uint64_t(t);
}

bool HungUp(short revents) { return (revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0; }

// The group that may use the socket, for the operator: its name, else its number.
std::string SocketGroup(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "the daemon's group";
  char buf[1024];
  group g, *found = nullptr;
  if (getgrgid_r(st.st_gid, &g, buf, sizeof(buf), &found) == 0 && found != nullptr) {
    return absl::StrCat("group '", found->gr_name, "'");
  }
  return absl::StrCat("group ", st.st_gid);
}

// A pipe's region as the daemon handed it over: checked, mapped, both rings attached.
struct MappedRings {
  void* region;
  size_t bytes;
  size_t rx_offset;
  pipe::MessageRingProducer tx;
  pipe::MessageRingConsumer rx;
};

absl::StatusOr<MappedRings> MapRings(int memfd, uint64_t region_bytes, uint64_t rx_offset,
                                     const std::string& what) {
  struct stat st;
  if (fstat(memfd, &st) != 0 || st.st_size < 0 || uint64_t(st.st_size) < region_bytes ||
      rx_offset % pipe::kRingAlignment != 0 || rx_offset < sizeof(pipe::RingHeader) ||
      region_bytes <= rx_offset) {
    return absl::InternalError(absl::StrCat(what, ": dmpdd's region is inconsistent (",
                                            region_bytes, " bytes, rx at ", rx_offset, ")"));
  }
  void* region = mmap(nullptr, region_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (region == MAP_FAILED) return absl::ErrnoToStatus(errno, what + ": mmap");
  absl::StatusOr<pipe::MessageRingProducer> tx = pipe::MessageRingProducer::Attach(region, rx_offset);
  absl::StatusOr<pipe::MessageRingConsumer> rx = pipe::MessageRingConsumer::Attach(
      static_cast<std::byte*>(region) + rx_offset, region_bytes - rx_offset);
  if (!tx.ok() || !rx.ok()) {
    munmap(region, region_bytes);
    return absl::InternalError(absl::StrCat(
        what, !tx.ok() ? ": tx ring: " : ": rx ring: ",
        !tx.ok() ? tx.status().message() : rx.status().message()));
  }
  return MappedRings{region, size_t(region_bytes), size_t(rx_offset), *std::move(tx),
                     *std::move(rx)};
}

}  // namespace

const char* SendStatusName(SendStatus s) {
  switch (s) {
    case SendStatus::kOk:
      return "ok";
    case SendStatus::kRingFull:
      return "ring_full";
    case SendStatus::kRateLimited:
      return "rate_limited";
    case SendStatus::kTooLarge:
      return "too_large";
    case SendStatus::kBadType:
      return "bad_type";
    case SendStatus::kClosed:
      return "closed";
    case SendStatus::kDaemonGone:
      return "daemon_gone";
  }
  return "?";
}

// ------------------------------------------------------------------------------ Session

// One connection to the daemon: requests and replies strictly alternate, under a mutex so
// that pipes used from different threads can make set-up calls.
class Session {
 public:
  Session(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  bool HungUp() const {
    pollfd p{.fd = fd_.get(), .events = POLLRDHUP, .revents = 0};
    return ::poll(&p, 1, 0) == 1 && dmpd::app::HungUp(p.revents);
  }

  struct Answer {
    pipe::SessionReply reply;
    std::vector<UniqueFd> fds;
  };
  // Sends one request, waits for its reply. A reply that is an error comes back as that
  // error's status, prefixed with what we were doing.
  absl::StatusOr<Answer> Call(const pipe::SessionRequest& request, const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!usable_) {
      return absl::FailedPreconditionError(absl::StrCat(what, ": the session with dmpdd at ", path_,
                                                        " is unusable after an earlier timeout"));
    }
    if (absl::Status s = SendWithFds(fd_.get(), pipe::EncodeRequest(request), {}); !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": dmpdd at ", path_, " is gone (", s.message(), ")"));
    }
    pollfd p{.fd = fd_.get(), .events = POLLIN, .revents = 0};
    int n;
    do {
      n = ::poll(&p, 1, kReplyTimeoutMs);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
      // A late reply would answer the next request: this session cannot be trusted again.
      usable_ = false;
      return absl::DeadlineExceededError(absl::StrCat(
          what, ": dmpdd at ", path_, " did not answer within ", kReplyTimeoutMs / 1000, " s"));
    }
    absl::StatusOr<Datagram> d = ReceiveWithFds(fd_.get(), pipe::kMaxSessionDatagram);
    if (!d.ok()) {
      if (absl::IsNotFound(d.status())) {
        return absl::UnavailableError(
            absl::StrCat(what, ": dmpdd at ", path_, " closed the session"));
      }
      return absl::Status(d.status().code(), absl::StrCat(what, ": ", d.status().message()));
    }
    absl::StatusOr<pipe::SessionReply> r = pipe::DecodeReply(d->bytes);
    if (!r.ok()) {
      return absl::InternalError(
          absl::StrCat(what, ": unreadable reply from dmpdd: ", r.status().message()));
    }
    if (const auto* e = std::get_if<pipe::ErrorReply>(&*r)) {
      return absl::Status(e->status.code(), absl::StrCat(what, ": ", e->status.message()));
    }
    return Answer{std::move(*r), std::move(d->fds)};
  }

 private:
  std::mutex mu_;
  UniqueFd fd_;
  const std::string path_;
  bool usable_ = true;
};

// ------------------------------------------------------------------------------ Client

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string path) {
  if (path.empty()) {
    const char* env = std::getenv("DMPD_PIPE_SOCKET");
    path = (env != nullptr && env[0] != '\0') ? env : kDefaultPipeSocket;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("pipe socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket(AF_UNIX, SOCK_SEQPACKET)");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    const int e = errno;
    if (e == EACCES || e == EPERM) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot connect to dmpdd's pipe socket ", path,
          ": permission denied. The socket is mode 0660: run as root or as a member of ",
          SocketGroup(path), " (add the user to that group, then log in again)"));
    }
    if (e == ENOENT || e == ECONNREFUSED) {
      return absl::UnavailableError(absl::StrCat(
          "no dmpdd listening on ", path, " (", std::strerror(e),
          "): is the daemon running? Another socket: set DMPD_PIPE_SOCKET or pass its path"));
    }
    return absl::ErrnoToStatus(e, absl::StrCat("connect ", path));
  }
  return std::unique_ptr<Client>(new Client(std::make_shared<Session>(std::move(fd), path)));
}

Client::~Client() = default;

const std::string& Client::path() const { return session_->path(); }
int Client::fd() const { return session_->fd(); }

struct Pipe::Parts {
  std::shared_ptr<Session> session;
  PipeConfig config;
  uint16_t node;
  uint32_t max_message;
  void* region;
  size_t region_bytes;
  size_t rx_offset;
  pipe::MessageRingProducer tx;
  pipe::MessageRingConsumer rx;
  UniqueFd tx_doorbell, rx_doorbell, epoll;
};

absl::StatusOr<std::unique_ptr<Pipe>> Client::Open(const PipeConfig& config) {
  const std::string what = absl::StrCat("open pipe ", config.pipe);
  if (absl::Status s = pipe::ValidatePipeConfig(config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  absl::StatusOr<Session::Answer> a = session_->Call(pipe::OpenRequest{config}, what);
  if (!a.ok()) return a.status();
  const auto* o = std::get_if<pipe::OpenReply>(&a->reply);
  // From here the daemon holds the pipe: any failure must give it back.
  auto fail = [&](absl::Status s) -> absl::Status {
    (void)session_->Call(pipe::CloseRequest{config.pipe}, what);
    return s;
  };
  if (o == nullptr) return fail(absl::InternalError(what + ": dmpdd answered open with no pipe"));
  if (a->fds.size() != kOpenFds) {
    return fail(absl::InternalError(
        absl::StrCat(what, ": dmpdd passed ", a->fds.size(), " descriptors, expected ", kOpenFds)));
  }
  absl::StatusOr<MappedRings> rings =
      MapRings(a->fds[0].get(), o->region_bytes, o->rx_offset, what);
  if (!rings.ok()) return fail(rings.status());
  void* region = rings->region;
  auto unmap = [&](absl::Status s) {
    munmap(region, o->region_bytes);
    return fail(std::move(s));
  };
  // Our reads of the rx doorbell must never block (we read only to reset it). The daemon
  // only writes it, for which O_NONBLOCK changes nothing short of a saturated counter.
  const int rx_fd = a->fds[2].get();
  const int fl = fcntl(rx_fd, F_GETFL);
  if (fl < 0 || fcntl(rx_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    return unmap(absl::ErrnoToStatus(errno, what + ": rx doorbell"));
  }
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep.valid()) return unmap(absl::ErrnoToStatus(errno, what + ": epoll_create1"));
  epoll_event ev{.events = EPOLLIN, .data = {.u32 = 0}};
  epoll_event hup{.events = EPOLLRDHUP, .data = {.u32 = 1}};
  if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, rx_fd, &ev) != 0 ||
      epoll_ctl(ep.get(), EPOLL_CTL_ADD, session_->fd(), &hup) != 0) {
    return unmap(absl::ErrnoToStatus(errno, what + ": epoll_ctl"));
  }
  const uint32_t max_message =
      std::min({o->max_message, rings->tx.max_message(), rings->rx.max_message()});
  Pipe::Parts parts{session_,
                    o->granted,
                    o->node,
                    max_message,
                    region,
                    size_t(o->region_bytes),
                    size_t(o->rx_offset),
                    std::move(rings->tx),
                    std::move(rings->rx),
                    std::move(a->fds[1]),
                    std::move(a->fds[2]),
                    std::move(ep)};
  // The memfd itself closes here: the mapping keeps the memory.
  std::unique_ptr<Pipe> p(new Pipe(std::move(parts)));
  if (absl::Status s = p->ApplyRate(p->config_); !s.ok()) {
    p->Close(std::chrono::milliseconds(0)).IgnoreError();
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  return p;
}

// ------------------------------------------------------------------------------ Pipe

Pipe::Pipe(Parts&& p)
    : tx_(std::move(p.tx)),
      rx_(std::move(p.rx)),
      max_message_(p.max_message),
      tx_doorbell_(p.tx_doorbell.get()),
      session_(std::move(p.session)),
      config_(p.config),
      node_(p.node),
      region_(p.region),
      region_bytes_(p.region_bytes),
      rx_offset_(p.rx_offset),
      tx_doorbell_fd_(std::move(p.tx_doorbell)),
      rx_doorbell_fd_(std::move(p.rx_doorbell)),
      epoll_fd_(std::move(p.epoll)) {}

Pipe::~Pipe() { Close(std::chrono::milliseconds(0)).IgnoreError(); }

absl::Status Pipe::ApplyRate(const PipeConfig& c) {
  if (c.rate_bytes_per_s == 0) {
    limited_ = false;
    bucket_.reset();
    return absl::OkStatus();
  }
  // A burst below one message would refuse that message for ever: locally the bucket holds
  // at least one largest message (the daemon applies the configured figure exactly).
  const uint64_t burst = std::max<uint64_t>(c.burst_bytes, max_message_);
  const uint64_t now = MonotonicNs();
  if (bucket_.has_value()) {
    if (absl::Status s = bucket_->SetRate(c.rate_bytes_per_s, burst, now); !s.ok()) return s;
  } else {
    absl::StatusOr<pipe::TokenBucket> b = pipe::TokenBucket::Create(c.rate_bytes_per_s, burst, now);
    if (!b.ok()) return b.status();
    bucket_.emplace(*b);
  }
  limited_ = true;
  return absl::OkStatus();
}

void Pipe::RingTxDoorbell() {
  const uint64_t one = 1;
  // EAGAIN means the counter is saturated: the daemon has been rung already.
  [[maybe_unused]] ssize_t n = ::write(tx_doorbell_, &one, sizeof(one));
}

void Pipe::DrainRxDoorbell() {
  uint64_t v;
  [[maybe_unused]] ssize_t n = ::read(rx_doorbell_fd_.get(), &v, sizeof(v));
}

uint64_t Pipe::CountQueuedIn(void* region, size_t bytes) {
  // A private consumer over the tx ring walks what the daemon has not released, writing
  // nothing to the region.
  absl::StatusOr<pipe::MessageRingConsumer> c = pipe::MessageRingConsumer::Attach(region, bytes);
  if (!c.ok()) return 0;
  uint64_t n = 0;
  pipe::MessageView v;
  while (c->TryRead(&v) == ReadStatus::kOk) ++n;
  return n;
}

uint64_t Pipe::CountQueued() const {
  return CountQueuedIn(region_, rx_offset_) +
         (old_region_ != nullptr ? CountQueuedIn(old_region_, old_rx_offset_) : 0);
}

size_t Pipe::tx_queued_bytes() const {
  if (torn_down_) return 0;
  return tx_.FillBytes() +
         (old_region_ != nullptr ? pipe::ObserveRingFill(old_region_) : 0);
}

void Pipe::MarkGone() {
  if (!gone_.exchange(true) && !torn_down_) counters_.accepted_unsent += CountQueued();
}

bool Pipe::daemon_gone() {
  if (gone_.load(std::memory_order_relaxed)) return true;
  if (torn_down_) return false;
  if (session_->HungUp()) MarkGone();
  return gone_.load(std::memory_order_relaxed);
}

SendStatus Pipe::SlowFull() {
  if (daemon_gone()) return SendStatus::kDaemonGone;
  return SendStatus::kRingFull;
}

SendStatus Pipe::Send(uint16_t dst_node, uint16_t dst_pipe, uint16_t type,
                      std::span<const std::byte> payload) {
  return SendOne(dst_node, dst_pipe, type, payload, true);
}

SendStatus Pipe::SendOne(uint16_t dst_node, uint16_t dst_pipe, uint16_t type,
                         std::span<const std::byte> payload, bool count_refusal) {
  if (closed_.load(std::memory_order_relaxed)) [[unlikely]] {
    return SendStatus::kClosed;
  }
  if (gone_.load(std::memory_order_relaxed)) [[unlikely]] {
    return SendStatus::kDaemonGone;
  }
  const size_t n = payload.size();
  if (n - 1 >= max_message_) [[unlikely]] {  // 0 wraps around: refused too
    counters_.too_large += count_refusal;
    return SendStatus::kTooLarge;
  }
  if (type > kMaxMessageType) [[unlikely]] {
    counters_.bad_type += count_refusal;
    return SendStatus::kBadType;
  }
  uint64_t now = 0;
  if (limited_) {
    now = MonotonicNs();
    // Look, take only once the ring accepted: a full ring must not cost tokens.
    if (bucket_->NanosUntil(n, now) != 0) {
      counters_.rate_limited += count_refusal;
      return SendStatus::kRateLimited;
    }
  }
  bool ring = false;
  const PushStatus s = tx_.TryPush(
      MessageMeta{.type = type, .flags = 0, .node = dst_node, .pipe = dst_pipe}, payload, &ring);
  if (s != PushStatus::kOk) [[unlikely]] {
    if (s == PushStatus::kFull) {
      counters_.ring_full += count_refusal;
      return SlowFull();
    }
    closed_.store(true);  // the daemon's position is impossible: the ring is unusable
    return SendStatus::kClosed;
  }
  if (limited_) bucket_->ForceConsume(n, now);
  ++counters_.sent;
  counters_.sent_bytes += n;
  if (ring) RingTxDoorbell();
  return SendStatus::kOk;
}

size_t Pipe::SendBatch(std::span<const Outgoing> msgs, SendStatus* first_failure) {
  *first_failure = SendStatus::kOk;
  if (closed_.load(std::memory_order_relaxed)) [[unlikely]] {
    *first_failure = SendStatus::kClosed;
    return 0;
  }
  if (gone_.load(std::memory_order_relaxed)) [[unlikely]] {
    *first_failure = SendStatus::kDaemonGone;
    return 0;
  }
  const uint64_t now = limited_ ? MonotonicNs() : 0;
  size_t i = 0;
  uint64_t bytes = 0;
  PushStatus ps = PushStatus::kOk;
  for (; i < msgs.size(); ++i) {
    const Outgoing& m = msgs[i];
    const size_t n = m.payload.size();
    if (n - 1 >= max_message_) [[unlikely]] {
      ++counters_.too_large;
      *first_failure = SendStatus::kTooLarge;
      break;
    }
    if (m.type > kMaxMessageType) [[unlikely]] {
      ++counters_.bad_type;
      *first_failure = SendStatus::kBadType;
      break;
    }
    if (limited_ && bucket_->NanosUntil(n, now) != 0) {
      ++counters_.rate_limited;
      *first_failure = SendStatus::kRateLimited;
      break;
    }
    std::byte* to =
        tx_.TryReserve(MessageMeta{.type = m.type, .flags = 0, .node = m.node, .pipe = m.pipe},
                       static_cast<uint32_t>(n), &ps);
    if (to == nullptr) [[unlikely]] {
      break;
    }
    std::memcpy(to, m.payload.data(), n);
    if (limited_) bucket_->ForceConsume(n, now);
    bytes += n;
  }
  if (i > 0) {
    counters_.sent += i;
    counters_.sent_bytes += bytes;
    if (tx_.Publish()) RingTxDoorbell();
  }
  if (ps == PushStatus::kFull) {
    ++counters_.ring_full;
    *first_failure = SlowFull();
  } else if (ps != PushStatus::kOk) {
    closed_.store(true);
    *first_failure = SendStatus::kClosed;
  }
  return i;
}

size_t Pipe::Poll(absl::FunctionRef<void(const Received&)> cb, size_t max) {
  if (closed_.load(std::memory_order_relaxed)) [[unlikely]] {
    return 0;
  }
  // Resizing: an empty old ring may be finished; then the new one is read.
  if (old_region_ != nullptr) [[unlikely]] {
    FollowResize();
  }
  size_t n = 0;
  uint64_t bytes = 0;
  pipe::MessageView v;
  ReadStatus s = ReadStatus::kOk;
  while (n < max && (s = rx_.TryRead(&v)) == ReadStatus::kOk) {
    cb(Received{.node = v.meta.node,
                .pipe = v.meta.pipe,
                .type = v.meta.type,
                .sequence = v.meta.sequence,
                .payload = v.payload});
    bytes += v.payload.size();
    ++n;
  }
  if (n > 0) {
    counters_.received += n;
    counters_.received_bytes += bytes;
    // The daemon waits for room in our rx ring: its doorbell is our tx one.
    if (rx_.Release()) RingTxDoorbell();
  }
  if (s == ReadStatus::kCorrupt) [[unlikely]] {
    closed_.store(true);
  }
  return n;
}

size_t Pipe::ReceiveBatch(std::span<Received> out) {
  if (closed_.load(std::memory_order_relaxed)) [[unlikely]] {
    return 0;
  }
  // The last batch was released (the contract), so no view points into the old ring.
  if (old_region_ != nullptr) [[unlikely]] {
    FollowResize();
  }
  size_t n = 0;
  uint64_t bytes = 0;
  pipe::MessageView v;
  ReadStatus s = ReadStatus::kOk;
  while (n < out.size() && (s = rx_.TryRead(&v)) == ReadStatus::kOk) {
    out[n] = Received{.node = v.meta.node,
                      .pipe = v.meta.pipe,
                      .type = v.meta.type,
                      .sequence = v.meta.sequence,
                      .payload = v.payload};
    bytes += v.payload.size();
    ++n;
  }
  counters_.received += n;
  counters_.received_bytes += bytes;
  if (s == ReadStatus::kCorrupt) [[unlikely]] {
    closed_.store(true);
  }
  return n;
}

void Pipe::Release() {
  if (torn_down_) return;
  if (rx_.Release()) RingTxDoorbell();
}

int Pipe::fd() const { return epoll_fd_.get(); }

bool Pipe::ArmReceive() {
  if (closed_.load() || gone_.load()) return false;
  if (old_region_ != nullptr && FollowResize()) return false;  // read the new ring first
  if (!rx_.PrepareToSleep()) return false;
  // After our flag, the daemon's finish of a ring it resized: either it rang, or we see it
  // here (the same fence pairing as the positions, docs/pipes.md).
  if (old_region_ != nullptr && rx_.Drained()) {
    rx_.StopSleeping();
    return false;
  }
  return true;
}

bool Pipe::ArmSend(uint32_t length) {
  if (closed_.load() || gone_.load()) return false;
  return tx_.PrepareToWaitForSpace(length);
}

void Pipe::Disarm() {
  if (torn_down_) return;
  rx_.StopSleeping();
  tx_.StopWaiting();
  DrainRxDoorbell();
}

bool Pipe::WaitUntil(uint64_t deadline_ns) {
  const uint64_t now = MonotonicNs();
  if (now >= deadline_ns) return true;
  const uint64_t wait = deadline_ns - now;
  timespec ts{.tv_sec = time_t(wait / 1'000'000'000u), .tv_nsec = long(wait % 1'000'000'000u)};
  pollfd fds[2] = {{.fd = rx_doorbell_fd_.get(), .events = POLLIN, .revents = 0},
                   {.fd = session_->fd(), .events = POLLRDHUP, .revents = 0}};
  if (ppoll(fds, 2, &ts, nullptr) > 0 && HungUp(fds[1].revents)) {
    MarkGone();
    return false;
  }
  return true;
}

SendStatus Pipe::SendBlocking(uint16_t dst_node, uint16_t dst_pipe, uint16_t type,
                              std::span<const std::byte> payload,
                              std::chrono::nanoseconds timeout) {
  const uint64_t deadline = DeadlineAfter(timeout);
  for (bool first = true;; first = false) {
    const SendStatus s = SendOne(dst_node, dst_pipe, type, payload, first);
    if (s != SendStatus::kRingFull && s != SendStatus::kRateLimited) return s;
    const uint64_t now = MonotonicNs();
    if (now >= deadline) return s;
    if (s == SendStatus::kRingFull) {
      if (!tx_.PrepareToWaitForSpace(static_cast<uint32_t>(payload.size()))) continue;
      const bool alive = WaitUntil(deadline);
      tx_.StopWaiting();
      DrainRxDoorbell();
      if (!alive) return SendStatus::kDaemonGone;
    } else {
      // Tokens come back at the configured rate; nobody rings for them.
      const uint64_t wait = bucket_->NanosUntil(payload.size(), now);
      if (!WaitUntil(wait > deadline - now ? deadline : now + wait)) {
        return SendStatus::kDaemonGone;
      }
    }
  }
}

size_t Pipe::ReceiveBlocking(absl::FunctionRef<void(const Received&)> cb,
                             std::chrono::nanoseconds timeout, size_t max) {
  const uint64_t deadline = DeadlineAfter(timeout);
  for (;;) {
    if (const size_t n = Poll(cb, max); n > 0) return n;
    if (closed_.load() || gone_.load() || MonotonicNs() >= deadline) return 0;
    if (!ArmReceive()) continue;  // a message came meanwhile (or the ring was resized)
    const bool alive = WaitUntil(deadline);
    rx_.StopSleeping();
    DrainRxDoorbell();
    if (!alive) return Poll(cb, max);  // what the daemon delivered before it went
  }
}

absl::Status Pipe::Reconfigure(const PipeConfig& config) {
  const std::string what = absl::StrCat("reconfigure pipe ", config_.pipe);
  if (torn_down_ || closed_.load()) return absl::FailedPreconditionError(what + ": closed");
  if (config.pipe != config_.pipe) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the pipe id cannot change (asked ", config.pipe, ")"));
  }
  if (absl::Status s = pipe::ValidatePipeConfig(config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  if (config.buffer_bytes != config_.buffer_bytes && old_region_ != nullptr && !FollowResize()) {
    return absl::UnavailableError(absl::StrCat(
        what, ": the last resize is still under way (the old rings still hold messages: "
              "receive what has arrived, then retry)"));
  }
  absl::StatusOr<Session::Answer> a = session_->Call(pipe::ReconfigureRequest{config}, what);
  if (!a.ok()) return a.status();
  const uint64_t buffer = config_.buffer_bytes;
  if (const auto* z = std::get_if<pipe::ResizeReply>(&a->reply)) {
    if (a->fds.size() != 1) {
      closed_.store(true);  // the daemon moved on to rings we cannot see
      return absl::InternalError(absl::StrCat(what, ": dmpdd passed ", a->fds.size(),
                                              " descriptors with the resized rings, expected 1"));
    }
    if (absl::Status s = StartResize(*z, std::move(a->fds[0])); !s.ok()) {
      closed_.store(true);
      return s;
    }
    config_ = config;
    config_.buffer_bytes = z->granted.buffer_bytes;
  } else if (std::holds_alternative<pipe::OkReply>(a->reply)) {
    config_ = config;
    config_.buffer_bytes = buffer;  // the same size once rounded: the rings stay
  } else {
    return absl::InternalError(what + ": unexpected reply from dmpdd");
  }
  return ApplyRate(config_);
}

absl::Status Pipe::StartResize(const pipe::ResizeReply& reply, UniqueFd memfd) {
  const std::string what = absl::StrCat("resize pipe ", config_.pipe);
  absl::StatusOr<MappedRings> rings =
      MapRings(memfd.get(), reply.region_bytes, reply.rx_offset, what);
  if (!rings.ok()) return rings.status();
  if (rings->tx.max_message() < max_message_ || rings->rx.max_message() < max_message_) {
    munmap(rings->region, rings->bytes);
    return absl::InternalError(what + ": the new rings take smaller messages");
  }
  // Everything sent so far is in the old tx ring, which the daemon reads to its end before
  // it reads the new one.
  if (tx_.Finish()) RingTxDoorbell();
  old_region_ = region_;
  old_region_bytes_ = region_bytes_;
  old_rx_offset_ = rx_offset_;
  region_ = rings->region;
  region_bytes_ = rings->bytes;
  rx_offset_ = rings->rx_offset;
  tx_ = std::move(rings->tx);
  next_rx_.emplace(std::move(rings->rx));
  FollowResize();
  return absl::OkStatus();
}

bool Pipe::FollowResize() {
  bool moved = false;
  if (next_rx_.has_value() && rx_.Drained()) {
    rx_ = *std::move(next_rx_);
    next_rx_.reset();
    moved = true;
  }
  // The old region goes once neither of its rings is needed: the daemon took what we sent.
  if (!next_rx_.has_value() && old_region_ != nullptr && pipe::ObserveRingFill(old_region_) == 0) {
    munmap(old_region_, old_region_bytes_);
    old_region_ = nullptr;
  }
  return moved;
}

absl::StatusOr<PipeCounters> Pipe::DaemonCounters() {
  const std::string what = absl::StrCat("stats of pipe ", config_.pipe);
  if (torn_down_) return absl::FailedPreconditionError(what + ": closed");
  absl::StatusOr<Session::Answer> a = session_->Call(pipe::StatsRequest{config_.pipe}, what);
  if (!a.ok()) return a.status();
  const auto* s = std::get_if<pipe::StatsReply>(&a->reply);
  if (s == nullptr) return absl::InternalError(what + ": unexpected reply from dmpdd");
  return s->counters;
}

absl::Status Pipe::Close(std::chrono::milliseconds drain) {
  if (torn_down_) return absl::OkStatus();
  closed_.store(true);
  // Give the daemon time to take what we accepted. Space frees without a doorbell (we do
  // not arm: the wait is short and bounded), so look every millisecond.
  const uint64_t deadline = DeadlineAfter(drain);
  while (!daemon_gone() && tx_queued_bytes() > 0 && MonotonicNs() < deadline) {
    WaitUntil(std::min(deadline, MonotonicNs() + 1'000'000));
    DrainRxDoorbell();
  }
  uint64_t left = 0;
  absl::Status status;
  if (!gone_.load()) {
    left = CountQueued();
    counters_.accepted_unsent += left;
    absl::StatusOr<Session::Answer> a =
        session_->Call(pipe::CloseRequest{config_.pipe}, absl::StrCat("close pipe ", config_.pipe));
    if (!a.ok() && !absl::IsUnavailable(a.status())) status = a.status();
  }
  munmap(region_, region_bytes_);
  if (old_region_ != nullptr) munmap(old_region_, old_region_bytes_);
  old_region_ = nullptr;
  next_rx_.reset();
  torn_down_ = true;
  epoll_fd_.Reset();
  rx_doorbell_fd_.Reset();
  tx_doorbell_fd_.Reset();
  tx_doorbell_ = -1;
  if (left > 0 || (gone_.load() && counters_.accepted_unsent > 0)) {
    return absl::DataLossError(absl::StrCat("pipe ", config_.pipe, " closed with ",
                                            counters_.accepted_unsent,
                                            " accepted messages the daemon did not take"));
  }
  return status;
}

}  // namespace dmpd::app
