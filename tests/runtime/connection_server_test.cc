// SPDX-License-Identifier: BSD-3-Clause
// The control socket and the metrics endpoint's transport under hostile clients (REL-5):
// the loop runs on the test's thread with a ManualClock, so deadlines are exact.
#include "userspace/runtime/connection_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "tests/support/loop_client.h"

namespace dmpd {
namespace {

using testing::ClosedByServer;
using testing::ConnectUnix;
using testing::Exchange;

constexpr uint64_t kMs = 1'000'000;

class ConnectionServerTest : public ::testing::Test {
 protected:
  void Start(ConnectionLimits limits) {
    auto loop = EventLoop::Create(clock_);
    ASSERT_TRUE(loop.ok());
    loop_ = *std::move(loop);
    auto fd = ListenUnix(path_);
    ASSERT_TRUE(fd.ok()) << fd.status();
    RequestProtocol echo{
        .request_end = [](absl::string_view b) -> size_t {
          const size_t nl = b.find('\n');
          return nl == absl::string_view::npos ? 0 : nl + 1;
        },
        .reply = [](absl::string_view r) { return absl::StrCat("echo ", r); },
        .too_large_reply = [] { return std::string("too large\n"); },
        .reply_on_eof = [](absl::string_view r) { return absl::StrCat("eof ", r, "\n"); },
    };
    auto server = ConnectionServer::Create(*loop_, *std::move(fd), limits, echo);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove(path_);
  }

  ManualClock clock_;
  std::string path_ = absl::StrCat("/tmp/dmpd_cs_test_", getpid(), ".sock");
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ConnectionServer> server_;
};

TEST_F(ConnectionServerTest, AnswersOneRequestAndCloses) {
  Start({});
  struct stat st{};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);  // REL-4: owner and group only
  UniqueFd c = ConnectUnix(path_);
  EXPECT_EQ(Exchange(*loop_, c, "status\n"), "echo status\n");
  EXPECT_EQ(server_->stats().served, 1u);
  EXPECT_EQ(server_->stats().clients, 0u);
}

TEST_F(ConnectionServerTest, AnswersARequestEndedByHalfClose) {
  Start({});
  UniqueFd c = ConnectUnix(path_);
  ASSERT_EQ(send(c.get(), "help", 4, 0), 4);
  shutdown(c.get(), SHUT_WR);
  EXPECT_EQ(Exchange(*loop_, c, ""), "eof help\n");
}

TEST_F(ConnectionServerTest, TrickledRequestIsCutAtItsDeadline) {
  Start({.max_clients = 4, .client_timeout_ns = 500 * kMs, .max_request_bytes = 1024});
  UniqueFd slow = ConnectUnix(path_);
  ASSERT_EQ(send(slow.get(), "sta", 3, 0), 3);
  (void)loop_->RunOnce(0);
  clock_.Advance(499 * kMs);
  (void)loop_->RunOnce(0);
  EXPECT_EQ(server_->stats().clients, 1u);
  clock_.Advance(2 * kMs);
  EXPECT_TRUE(ClosedByServer(*loop_, slow));
  EXPECT_EQ(server_->stats().timed_out, 1u);
  EXPECT_EQ(server_->stats().clients, 0u);
}

TEST_F(ConnectionServerTest, AtTheLimitTheOldestMakesRoomAndTalkersAreServed) {
  Start({.max_clients = 8, .client_timeout_ns = 60'000 * kMs, .max_request_bytes = 1024});
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 100; ++i) {
    idle.push_back(ConnectUnix(path_));
    ASSERT_TRUE(idle.back().valid());
  }
  (void)loop_->RunOnce(0);
  (void)loop_->RunOnce(0);
  EXPECT_EQ(server_->stats().clients, 8u);
  EXPECT_EQ(server_->stats().evicted, 92u);
  // The idle ones never delay a client that talks.
  for (int i = 0; i < 5; ++i) {
    UniqueFd c = ConnectUnix(path_);
    EXPECT_EQ(Exchange(*loop_, c, "status\n"), "echo status\n");
  }
  EXPECT_LE(server_->stats().clients, 8u);
  // The first ones were closed to make room.
  EXPECT_TRUE(ClosedByServer(*loop_, idle.front()));
}

TEST_F(ConnectionServerTest, TooLargeRequestGetsTheErrorReply) {
  Start({.max_clients = 4, .client_timeout_ns = 1000 * kMs, .max_request_bytes = 1024});
  UniqueFd c = ConnectUnix(path_);
  EXPECT_EQ(Exchange(*loop_, c, std::string(1025, 'x')), "too large\n");
  EXPECT_EQ(server_->stats().too_large, 1u);
  UniqueFd exact = ConnectUnix(path_);  // at the limit, with its newline: fine
  EXPECT_EQ(Exchange(*loop_, exact, std::string(1023, 'y') + "\n"),
            "echo " + std::string(1023, 'y') + "\n");
}

TEST_F(ConnectionServerTest, ClientThatDoesNotReadItsReplyIsCutAtItsDeadline) {
  Start({.max_clients = 4, .client_timeout_ns = 500 * kMs, .max_request_bytes = 1 << 20});
  UniqueFd c = ConnectUnix(path_);
  const int small = 4096;
  setsockopt(c.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  // A 900 KB request echoed back: more than the socket buffers hold.
  std::string big(900 * 1024, 'z');
  big.push_back('\n');
  size_t off = 0;
  for (int round = 0; round < 1000 && off < big.size(); ++round) {
    const ssize_t n = send(c.get(), big.data() + off, big.size() - off, MSG_DONTWAIT);
    if (n > 0) off += static_cast<size_t>(n);
    (void)loop_->RunOnce(0);
  }
  ASSERT_EQ(off, big.size());
  (void)loop_->RunOnce(0);
  EXPECT_EQ(server_->stats().clients, 1u);  // stuck writing to a reader that never reads
  clock_.Advance(501 * kMs);
  (void)loop_->RunOnce(0);
  EXPECT_EQ(server_->stats().timed_out, 1u);
  EXPECT_EQ(server_->stats().clients, 0u);
}

TEST(ListenUnix, RefusesASocketALiveServerAnswersOn) {
  const std::string path = absl::StrCat("/tmp/dmpd_cs_live_", getpid(), ".sock");
  auto first = ListenUnix(path);
  ASSERT_TRUE(first.ok());
  auto second = ListenUnix(path);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  first->Reset();  // the first server is gone: its file is stale now
  EXPECT_TRUE(ListenUnix(path).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace dmpd
