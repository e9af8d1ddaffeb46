// SPDX-License-Identifier: BSD-3-Clause
// libdmpd against the fake daemon (tier 1: no DPDK, no root): open, send and receive with
// every size class and checksums, each refusal code, daemon gone with the count of what was
// left, a second opener, doorbell wake-ups (blocking receive, blocking send, epoll on fd()),
// reconfigure and counters, a resize of the rings mid-stream, and the permission error. Waits are deadline-based; none sleeps.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/libdmpd/fake_daemon.h"
#include "userspace/libdmpd/dmpd.h"

namespace dmpd::app {
namespace {

using namespace std::chrono_literals;
using fake::FakeDaemon;

constexpr uint16_t kNode = 3;

uint64_t Fnv1a(std::span<const std::byte> b) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (std::byte x : b) h = (h ^ uint64_t(x)) * 0x100000001b3ull;
  return h;
}

std::vector<std::byte> Pattern(size_t size, uint64_t seed) {
  std::vector<std::byte> v(size);
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& b : v) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = std::byte(x);
  }
  return v;
}

// Spins (yielding) until cond() or the deadline; no sleeps.
template <typename F>
bool WaitFor(F cond, std::chrono::seconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class LibdmpdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/libdmpd-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/pipes.sock";
    StartFake(pipe::kMaxRingMessage);
  }
  void TearDown() override {
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartFake(uint32_t max_message) {
    fake_.reset();
    auto f = FakeDaemon::Start({.socket_path = path_, .node = kNode, .max_message = max_message});
    ASSERT_TRUE(f.ok()) << f.status();
    fake_ = std::move(*f);
  }
  std::unique_ptr<Client> Connect() {
    auto c = Client::Connect(path_);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::unique_ptr<Pipe> Open(Client& c, uint16_t id, PipeConfig config = {}) {
    config.pipe = id;
    auto p = c.Open(config);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }

  std::string dir_, path_;
  std::unique_ptr<FakeDaemon> fake_;
};

TEST_F(LibdmpdTest, SizesFromOneByteTo64KiBArriveIntact) {
  auto client = Connect();
  auto a = Open(*client, 10);
  auto b = Open(*client, 20);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->node(), kNode);
  EXPECT_EQ(a->max_message(), 65536u);
  const std::vector<size_t> sizes = {1,    2,    3,     7,     8,     9,    15,   16,
                                     17,   63,   64,    65,    1000,  1500, 4095, 4096,
                                     4097, 9000, 16384, 32768, 65535, 65536};
  uint64_t expect_seq = 0;
  for (int round = 0; round < 3; ++round) {
    for (size_t size : sizes) {
      const std::vector<std::byte> m = Pattern(size, size + round);
      ASSERT_EQ(a->Send(kNode, 20, 7, m), SendStatus::kOk) << size;
      size_t got = 0;
      const size_t n = b->ReceiveBlocking(
          [&](const Received& r) {
            ++got;
            EXPECT_EQ(r.node, kNode);
            EXPECT_EQ(r.pipe, 10);
            EXPECT_EQ(r.type, 7);
            EXPECT_EQ(r.sequence, expect_seq);
            ASSERT_EQ(r.payload.size(), size);
            EXPECT_EQ(Fnv1a(r.payload), Fnv1a(m)) << "size " << size;
          },
          10s);
      ASSERT_EQ(n, 1u) << "size " << size;
      ++expect_seq;
    }
  }
  EXPECT_EQ(a->counters().sent, 3 * sizes.size());
  EXPECT_EQ(b->counters().received, 3 * sizes.size());
  EXPECT_EQ(a->counters().sent_bytes, b->counters().received_bytes);
}

TEST_F(LibdmpdTest, BatchesInOrderAcrossWraps) {
  auto client = Connect();
  auto a = Open(*client, 1, {.buffer_bytes = 1});  // the smallest ring: wraps often
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  constexpr uint64_t kTotal = 20000;
  uint64_t sent = 0, next = 0;
  std::vector<std::vector<std::byte>> bodies(16);
  std::vector<Outgoing> batch(16);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (next < kTotal && std::chrono::steady_clock::now() < deadline) {
    const size_t want = std::min<uint64_t>(batch.size(), kTotal - sent);
    for (size_t i = 0; i < want; ++i) {
      bodies[i] = Pattern(1 + (sent + i) % 3000, sent + i);
      batch[i] = {.node = kNode, .pipe = 2, .type = 1, .payload = bodies[i]};
    }
    if (want > 0) {
      SendStatus why;
      const size_t n = a->SendBatch(std::span(batch).first(want), &why);
      ASSERT_TRUE(n == want || why == SendStatus::kRingFull) << SendStatusName(why);
      sent += n;
    }
    b->Poll(
        [&](const Received& r) {
          ASSERT_EQ(r.sequence, next);
          ASSERT_EQ(Fnv1a(r.payload), Fnv1a(Pattern(1 + next % 3000, next)));
          ++next;
        },
        64);
  }
  EXPECT_EQ(next, kTotal);
}

TEST_F(LibdmpdTest, RingFullThenEverythingArrives) {
  auto client = Connect();
  auto a = Open(*client, 1, {.buffer_bytes = 64 * 1024});
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  fake_->SetForwarding(false);
  const std::vector<std::byte> m(1000, std::byte{0x5a});
  uint64_t accepted = 0;
  SendStatus s;
  while ((s = a->Send(kNode, 2, 1, m)) == SendStatus::kOk) ++accepted;
  EXPECT_EQ(s, SendStatus::kRingFull);
  EXPECT_EQ(a->counters().ring_full, 1u);
  EXPECT_GT(accepted, 100u);  // the smallest ring for 64 KiB messages is 256 KiB
  fake_->SetForwarding(true);
  uint64_t got = 0;
  while (got < accepted && b->ReceiveBlocking([&](const Received&) { ++got; }, 10s) > 0) {
  }
  EXPECT_EQ(got, accepted);
}

TEST_F(LibdmpdTest, RateLimitedThenBlockingSendWaitsForTokens) {
  auto client = Connect();
  // 10 MB/s; the library's bucket holds at least one largest message (64 KiB).
  auto a = Open(*client, 1, {.rate_bytes_per_s = 10'000'000, .burst_bytes = 1});
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  const std::vector<std::byte> m(4096, std::byte{1});
  uint64_t accepted = 0;
  SendStatus s;
  while ((s = a->Send(kNode, 2, 1, m)) == SendStatus::kOk) ++accepted;
  EXPECT_EQ(s, SendStatus::kRateLimited);
  EXPECT_EQ(a->counters().rate_limited, 1u);
  EXPECT_GE(accepted, 16u);  // the burst
  EXPECT_LE(accepted, 40u);  // and not much more
  EXPECT_EQ(a->SendBlocking(kNode, 2, 1, m, 10s), SendStatus::kOk);
  // Unlimited after a reconfigure.
  PipeConfig c = a->config();
  c.rate_bytes_per_s = 0;
  ASSERT_TRUE(a->Reconfigure(c).ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(a->Send(kNode, 2, 1, m), SendStatus::kOk);
    b->Poll([](const Received&) {});
  }
}

TEST_F(LibdmpdTest, TooLargeEmptyAndBadType) {
  StartFake(4096);
  auto client = Connect();
  auto a = Open(*client, 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->max_message(), 4096u);
  const std::vector<std::byte> big(4097), ok(4096);
  EXPECT_EQ(a->Send(kNode, 1, 1, big), SendStatus::kTooLarge);
  EXPECT_EQ(a->Send(kNode, 1, 1, {}), SendStatus::kTooLarge);
  EXPECT_EQ(a->Send(kNode, 1, 256, ok), SendStatus::kBadType);
  EXPECT_EQ(a->Send(kNode, 1, 255, ok), SendStatus::kOk);
  const Outgoing batch[] = {{kNode, 1, 1, ok}, {kNode, 1, 1, big}, {kNode, 1, 1, ok}};
  SendStatus why;
  EXPECT_EQ(a->SendBatch(batch, &why), 1u);
  EXPECT_EQ(why, SendStatus::kTooLarge);
  EXPECT_EQ(a->counters().too_large, 3u);
  EXPECT_EQ(a->counters().bad_type, 1u);
  EXPECT_EQ(a->counters().sent, 2u);
}

TEST_F(LibdmpdTest, ClosedPipeRefusesAndTheDaemonForgetsIt) {
  auto client = Connect();
  auto a = Open(*client, 1);
  ASSERT_TRUE(a);
  const std::vector<std::byte> m(10);
  ASSERT_EQ(a->Send(kNode, 1, 1, m), SendStatus::kOk);
  ASSERT_TRUE(a->Close().ok());
  EXPECT_EQ(a->Send(kNode, 1, 1, m), SendStatus::kClosed);
  EXPECT_EQ(a->Poll([](const Received&) {}), 0u);
  EXPECT_EQ(a->counters().accepted_unsent, 0u);
  EXPECT_TRUE(WaitFor([&] { return fake_->open_pipes() == 0; }));
  // The id is free again.
  EXPECT_TRUE(Open(*client, 1));
}

TEST_F(LibdmpdTest, DaemonGoneReportsWhatWasLeftInTheRing) {
  auto client = Connect();
  auto a = Open(*client, 1);
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  const std::vector<std::byte> m(512);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(a->Send(kNode, 2, 1, m), SendStatus::kOk);
  ASSERT_TRUE(WaitFor([&] { return a->tx_queued_bytes() == 0; }));  // 10 delivered
  fake_->SetForwarding(false);
  ASSERT_TRUE(WaitFor([&] { return fake_->Counters(1)->sent_messages == 10; }));
  fake_->Kill();
  // Sends still succeed while there is room: the hang-up is looked for on the slow path.
  uint64_t after = 0;
  SendStatus s;
  while ((s = a->Send(kNode, 2, 1, m)) == SendStatus::kOk) ++after;
  EXPECT_EQ(s, SendStatus::kDaemonGone);
  EXPECT_GT(after, 0u);
  EXPECT_EQ(a->counters().accepted_unsent, after);
  EXPECT_EQ(a->Send(kNode, 2, 1, m), SendStatus::kDaemonGone);
  // What had arrived before is still readable; then the receiver learns it too.
  EXPECT_EQ(b->ReceiveBlocking([](const Received&) {}, 10s), 10u);
  EXPECT_EQ(b->ReceiveBlocking([](const Received&) {}, 10s), 0u);
  EXPECT_TRUE(b->daemon_gone());
  const absl::Status closed = a->Close();
  EXPECT_TRUE(absl::IsDataLoss(closed)) << closed;
}

TEST_F(LibdmpdTest, SecondOpenerGetsAlreadyExists) {
  auto first = Connect();
  auto second = Connect();
  auto a = Open(*first, 42);
  ASSERT_TRUE(a);
  auto again = second->Open({.pipe = 42});
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_NE(again.status().message().find("pipe 42"), std::string_view::npos);
  EXPECT_TRUE(absl::IsAlreadyExists(first->Open({.pipe = 42}).status()));
  // The session goes on: other pipes open.
  EXPECT_TRUE(Open(*second, 43));
}

TEST_F(LibdmpdTest, ApplicationExitFreesItsPipes) {
  {
    auto client = Connect();
    auto a = Open(*client, 5);
    ASSERT_TRUE(a);
    EXPECT_EQ(fake_->open_pipes(), 1u);
  }
  EXPECT_TRUE(WaitFor([&] { return fake_->open_pipes() == 0; }));
}

TEST_F(LibdmpdTest, BlockingReceiveWakesOnTheDoorbell) {
  auto client = Connect();
  auto a = Open(*client, 1);
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  std::atomic<size_t> got{0};
  std::atomic<bool> done{false};
  std::thread receiver([&] {
    got = b->ReceiveBlocking([](const Received&) {}, 30s);
    done = true;
  });
  // Send only once the receiver announced it sleeps: then only the doorbell can wake it.
  ASSERT_TRUE(WaitFor([&] { return fake_->AppWaits(2, /*rx=*/true); }));
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<std::byte> m(8);
  ASSERT_EQ(a->Send(kNode, 2, 1, m), SendStatus::kOk);
  EXPECT_TRUE(WaitFor([&] { return done.load(); }, 20s));
  receiver.join();
  EXPECT_EQ(got.load(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(LibdmpdTest, BlockingSendWakesWhenRoomFrees) {
  auto client = Connect();
  auto a = Open(*client, 1, {.buffer_bytes = 1});
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  fake_->SetForwarding(false);
  const std::vector<std::byte> m(2000);
  uint64_t accepted = 0;
  while (a->Send(kNode, 2, 1, m) == SendStatus::kOk) ++accepted;
  std::atomic<int> result{-1};
  std::thread sender([&] { result = int(a->SendBlocking(kNode, 2, 1, m, 30s)); });
  ASSERT_TRUE(WaitFor([&] { return fake_->AppWaits(1, /*rx=*/false); }));
  fake_->SetForwarding(true);  // the fake releases room and rings our rx doorbell
  ASSERT_TRUE(WaitFor([&] { return result.load() != -1; }, 20s));
  sender.join();
  EXPECT_EQ(SendStatus(result.load()), SendStatus::kOk);
  uint64_t got = 0;
  while (got < accepted + 1 && b->ReceiveBlocking([&](const Received&) { ++got; }, 10s) > 0) {
  }
  EXPECT_EQ(got, accepted + 1);
}

TEST_F(LibdmpdTest, EpollOnFdWakesForMessagesAndForDaemonGone) {
  auto client = Connect();
  auto a = Open(*client, 1);
  auto b = Open(*client, 2);
  ASSERT_TRUE(a && b);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{.events = EPOLLIN, .data = {.u64 = 2}};
  ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, b->fd(), &ev), 0);
  epoll_event out[4];
  ASSERT_TRUE(b->ArmReceive());
  EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
  const std::vector<std::byte> m(100);
  ASSERT_EQ(a->Send(kNode, 2, 1, m), SendStatus::kOk);
  ASSERT_EQ(epoll_wait(ep, out, 4, 20000), 1);
  EXPECT_EQ(out[0].data.u64, 2u);
  b->Disarm();
  EXPECT_EQ(b->Poll([](const Received&) {}), 1u);
  EXPECT_TRUE(b->ArmReceive());
  EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);  // the doorbell was reset
  fake_->Kill();
  ASSERT_EQ(epoll_wait(ep, out, 4, 20000), 1);
  b->Disarm();
  EXPECT_TRUE(b->daemon_gone());
  close(ep);
}

TEST_F(LibdmpdTest, ReconfigureAndDaemonCounters) {
  auto client = Connect();
  auto a = Open(*client, 1, {.priority = 1});
  ASSERT_TRUE(a);
  PipeConfig c = a->config();
  c.priority = 6;
  c.copies = 2;
  c.rate_bytes_per_s = 1'000'000;
  ASSERT_TRUE(a->Reconfigure(c).ok());
  EXPECT_EQ(fake_->Config(1)->priority, 6);
  EXPECT_EQ(fake_->Config(1)->copies, 2);
  c = a->config();
  c.pipe = 9;
  EXPECT_TRUE(absl::IsInvalidArgument(a->Reconfigure(c)));
  const std::vector<std::byte> m(64);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(a->Send(kNode, 1, 1, m), SendStatus::kOk);
  while (a->counters().received < 5 && a->ReceiveBlocking([](const Received&) {}, 10s) > 0) {
  }
  EXPECT_EQ(a->counters().received, 5u);
  ASSERT_TRUE(WaitFor([&] {
    auto d = a->DaemonCounters();
    return d.ok() && d->sent_messages == 5;
  }));
  auto d = a->DaemonCounters();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->sent_bytes, 5u * 64);
}

// PIPE-2, "ask for more buffer": the rings grow (and shrink) while messages are queued in
// both: every message arrives once and in order, the old rings are let go once read to the
// end, and a second resize before that is refused as Unavailable, not lost.
TEST_F(LibdmpdTest, ResizingTheRingsMidStreamKeepsEveryMessageInOrder) {
  auto client = Connect();
  auto a = Open(*client, 1, {.buffer_bytes = 256 << 10});
  ASSERT_TRUE(a);
  const uint64_t small = a->config().buffer_bytes;
  constexpr uint64_t kCount = 30000;
  uint64_t sent = 0, expect = 0, bad = 0;
  // Message i: 8 + i % 200 bytes, i in its first 8, a pattern of i after.
  auto message = [](uint64_t i) {
    std::vector<std::byte> m = Pattern(8 + i % 200, i);
    std::memcpy(m.data(), &i, sizeof(i));
    return m;
  };
  auto check = [&](const Received& r) {
    const std::vector<std::byte> want = message(expect);
    if (r.payload.size() != want.size() ||
        std::memcmp(r.payload.data(), want.data(), want.size()) != 0) {
      ++bad;
    }
    ++expect;
  };
  auto send_until = [&](uint64_t until) {
    while (sent < until) {
      const std::vector<std::byte> m = message(sent);
      const SendStatus st = a->Send(kNode, 1, 1, m);
      if (st != SendStatus::kOk) {
        // Full of our own messages, which wait for room in our rx ring: read some.
        ASSERT_EQ(st, SendStatus::kRingFull);
        a->Poll(check, 256);
        continue;
      }
      ++sent;
    }
  };
  send_until(kCount / 3);
  // Our rx ring holds messages we have not read (and the tx ring, most likely, some more).
  ASSERT_TRUE(WaitFor(
      [&] { return fake_->Counters(1)->received_messages > a->counters().received; }));
  PipeConfig c = a->config();
  c.buffer_bytes = 4 << 20;
  ASSERT_TRUE(a->Reconfigure(c).ok());
  EXPECT_EQ(fake_->resizes(), 1u);
  EXPECT_EQ(a->config().buffer_bytes, 4u << 20);
  EXPECT_TRUE(a->resizing());
  // The old rx ring is not read to its end: another resize must wait.
  c.buffer_bytes = small;
  EXPECT_TRUE(absl::IsUnavailable(a->Reconfigure(c)));
  send_until(2 * kCount / 3);
  while (expect < sent && a->ReceiveBlocking(check, 10s) > 0) {
  }
  ASSERT_EQ(expect, sent);
  EXPECT_TRUE(WaitFor([&] {
    a->Poll(check);
    return !a->resizing();
  }));
  ASSERT_TRUE(a->Reconfigure(c).ok());  // back to the small rings, mid-stream again
  EXPECT_EQ(fake_->resizes(), 2u);
  send_until(kCount);
  while (expect < kCount && a->ReceiveBlocking(check, 10s) > 0) {
  }
  EXPECT_EQ(expect, kCount);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(a->counters().received, kCount);
  EXPECT_EQ(fake_->Counters(1)->sent_messages, kCount);
  EXPECT_TRUE(a->Close().ok());
}

TEST_F(LibdmpdTest, NoDaemonIsUnavailable) {
  auto c = Client::Connect(dir_ + "/nothing.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
}

TEST_F(LibdmpdTest, OutsideTheGroupIsPermissionDenied) {
  // The daemon's socket is 0660; here it is made unreachable for another user.
  ASSERT_EQ(chmod(path_.c_str(), 0660), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (getuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    } else if (chmod(path_.c_str(), 0) != 0) {
      _exit(2);
    }
    auto c = Client::Connect(path_);
    if (c.ok()) _exit(3);
    if (!absl::IsPermissionDenied(c.status())) _exit(4);
    if (c.status().message().find("0660") == std::string_view::npos) _exit(5);
    _exit(0);
  }
  int st = 0;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

}  // namespace
}  // namespace dmpd::app
