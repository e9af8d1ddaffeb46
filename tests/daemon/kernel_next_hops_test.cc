// SPDX-License-Identifier: BSD-3-Clause
// KernelNextHops against the real kernel. Each test runs in a network namespace of its own
// (unshare), with a veth pair: v0 (10.77.0.1/24) here, v1 (10.77.0.2/24) in a second
// namespace held by a child process, so that ARP for 10.77.0.2 is answered. The child's
// namespace goes when the child exits (and the veth pair with it), the test's own at the
// next test's unshare or with the process; nothing is named, so nothing outlives the test.
// Needs root; skipped otherwise.
#include "userspace/daemon/kernel_next_hops.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {
namespace {

constexpr MacAddress kPeerMac = {0x02, 0x00, 0x00, 0x77, 0x00, 0x02};  // v1
constexpr MacAddress kStaticMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x09};

uint32_t Ip(const char* dotted) {
  in_addr a{};
  EXPECT_EQ(::inet_pton(AF_INET, dotted, &a), 1) << dotted;
  return ntohl(a.s_addr);
}

std::string Describe(const NextHop& hop) {
  return absl::StrCat(NextHopStateName(hop.state), " ifindex ", hop.ifindex, " via ", hop.via,
                      " mac ", FormatMac(hop.mac), " nud 0x", absl::Hex(hop.nud_state));
}

// The shell's exit status of `command` (run in this thread's network namespace).
int Shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Output(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 256> chunk;
  size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) out.append(chunk.data(), n);
  ::pclose(pipe);
  return out;
}

class KernelNextHopsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, veth)";
    if (::unshare(CLONE_NEWNET) != 0) {
      GTEST_SKIP() << "unshare(CLONE_NEWNET) failed: " << std::strerror(errno);
    }
    // From here on every command runs in the private namespace: nothing touches the host.
    ASSERT_EQ(Shell("ip link set lo up && ip link add v0 address 02:00:00:77:00:01 type veth "
                    "peer name v1 address 02:00:00:77:00:02"),
              0);
    ASSERT_NO_FATAL_FAILURE(StartPeer());
    ASSERT_EQ(Shell("ip addr add 10.77.0.1/24 dev v0 && ip link set v0 up"), 0);
    v0_ = static_cast<int>(::if_nametoindex("v0"));
    ASSERT_GT(v0_, 0);
    absl::StatusOr<KernelNextHops> opened = KernelNextHops::Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    next_hops_.emplace(std::move(*opened));
  }

  void TearDown() override {
    next_hops_.reset();
    // EOF on its pipe ends the child, and its namespace with v1 (and so v0) goes with it.
    if (hold_fd_ >= 0) ::close(hold_fd_);
    if (peer_pid_ > 0) {
      int status = 0;
      while (::waitpid(peer_pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // A child in a namespace of its own, alive until we close hold_fd_ (or die: PDEATHSIG);
  // v1 is moved there and configured from here with setns.
  void StartPeer() {
    int ready[2];
    int hold[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(hold, O_CLOEXEC), 0);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << std::strerror(errno);
    if (pid == 0) {
      // Async-signal-safe calls only: the child of a process that may have threads.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::close(ready[0]);
      ::close(hold[1]);
      const char ok = ::unshare(CLONE_NEWNET) == 0 ? 1 : 0;
      if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
      char byte;
      for (;;) {
        const ssize_t r = ::read(hold[0], &byte, 1);
        if (r == 0 || (r < 0 && errno != EINTR)) break;
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(hold[0]);
    peer_pid_ = pid;
    hold_fd_ = hold[1];
    char ok = 0;
    const ssize_t r = ::read(ready[0], &ok, 1);
    ::close(ready[0]);
    ASSERT_TRUE(r == 1 && ok == 1) << "the peer could not make its namespace";
    ASSERT_EQ(Shell(absl::StrCat("ip link set v1 netns ", pid)), 0);
    ASSERT_EQ(RunInPeer("ip link set lo up && ip addr add 10.77.0.2/24 dev v1 && "
                        "ip link set v1 up"),
              0);
  }

  int RunInPeer(const std::string& command) {
    UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    UniqueFd peer(
        ::open(absl::StrCat("/proc/", peer_pid_, "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    if (!home.valid() || !peer.valid() || ::setns(peer.get(), CLONE_NEWNET) != 0) return -1;
    const int status = Shell(command);
    // Staying in the peer's namespace would run the rest of the test in the wrong place.
    if (::setns(home.get(), CLONE_NEWNET) != 0) std::abort();
    return status;
  }

  // Lookup until `done` holds or 3 s pass (ARP on a veth takes a millisecond or so).
  NextHop LookupUntil(uint32_t dst, bool (*done)(const NextHop&)) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    NextHop hop;
    for (;;) {
      absl::StatusOr<NextHop> got = next_hops_->Lookup(dst);
      EXPECT_TRUE(got.ok()) << got.status();
      if (!got.ok()) return hop;
      hop = *got;
      if (done(hop) || std::chrono::steady_clock::now() > deadline) return hop;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  NextHop MustLookup(const char* dst) {
    absl::StatusOr<NextHop> hop = next_hops_->Lookup(Ip(dst));
    EXPECT_TRUE(hop.ok()) << dst << ": " << hop.status();
    return hop.ok() ? *hop : NextHop{};
  }

  static std::string Neighbours(const std::string& addr) {
    return Output("ip -4 neigh show " + addr + " dev v0");
  }

  int v0_ = 0;
  pid_t peer_pid_ = -1;
  int hold_fd_ = -1;
  std::optional<KernelNextHops> next_hops_;
};

TEST_F(KernelNextHopsTest, PermanentNeighbourIsResolved) {
  ASSERT_EQ(Shell("ip neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent"), 0);
  const NextHop hop = MustLookup("10.77.0.9");
  EXPECT_EQ(hop.state, NextHop::State::kResolved) << Describe(hop);
  EXPECT_EQ(hop.ifindex, v0_);
  EXPECT_EQ(hop.via, Ip("10.77.0.9"));
  EXPECT_EQ(hop.mac, kStaticMac);
  EXPECT_EQ(hop.nud_state, NUD_PERMANENT);
}

TEST_F(KernelNextHopsTest, OnLinkWithoutEntryIsIncompleteUntilSolicited) {
  ASSERT_EQ(Neighbours("10.77.0.2"), "");
  const NextHop before = MustLookup("10.77.0.2");
  EXPECT_EQ(before.state, NextHop::State::kIncomplete) << Describe(before);
  EXPECT_EQ(before.ifindex, v0_);
  EXPECT_EQ(before.via, Ip("10.77.0.2"));
  EXPECT_EQ(Neighbours("10.77.0.2"), "") << "a lookup must not create an entry";

  ASSERT_TRUE(next_hops_->Solicit(v0_, Ip("10.77.0.2")).ok());
  EXPECT_NE(Neighbours("10.77.0.2"), "") << "the kernel made an entry";
  const NextHop after = LookupUntil(
      Ip("10.77.0.2"), [](const NextHop& h) { return h.state == NextHop::State::kResolved; });
  EXPECT_EQ(after.state, NextHop::State::kResolved) << Describe(after);
  EXPECT_EQ(after.mac, kPeerMac) << "v1 answered the kernel's ARP request";
  EXPECT_EQ(after.ifindex, v0_);
}

TEST_F(KernelNextHopsTest, SolicitForAnAddressNobodyHasLeavesAnUnresolvedEntry) {
  ASSERT_TRUE(next_hops_->Solicit(v0_, Ip("10.77.0.50")).ok());
  const std::string shown = Neighbours("10.77.0.50");
  EXPECT_TRUE(shown.find("INCOMPLETE") != std::string::npos ||
              shown.find("FAILED") != std::string::npos)
      << shown;
  const NextHop hop = MustLookup("10.77.0.50");
  EXPECT_EQ(hop.state, NextHop::State::kIncomplete) << Describe(hop);
  EXPECT_NE(hop.nud_state & (NUD_INCOMPLETE | NUD_FAILED), 0) << Describe(hop);
  // Again while the kernel is still asking: nothing to do, and no error.
  EXPECT_TRUE(next_hops_->Solicit(v0_, Ip("10.77.0.50")).ok());
}

// NTF_USE would demote a permanent entry and strip extern_learn (see the .cc): Solicit must
// not send it for entries that someone else owns.
TEST_F(KernelNextHopsTest, SolicitLeavesEntriesOwnedByOthersAlone) {
  ASSERT_EQ(Shell("ip neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent"), 0);
  ASSERT_EQ(Shell("ip neigh add 10.77.0.10 lladdr 02:00:00:00:00:0a dev v0 extern_learn "
                  "nud stale"),
            0);
  EXPECT_TRUE(next_hops_->Solicit(v0_, Ip("10.77.0.9")).ok());
  EXPECT_TRUE(next_hops_->Solicit(v0_, Ip("10.77.0.10")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Neighbours("10.77.0.9"), "10.77.0.9 lladdr 02:00:00:00:00:09 PERMANENT \n");
  EXPECT_NE(Neighbours("10.77.0.10").find("extern_learn"), std::string::npos)
      << Neighbours("10.77.0.10");
  EXPECT_EQ(MustLookup("10.77.0.9").state, NextHop::State::kResolved);
}

TEST_F(KernelNextHopsTest, SolicitReconfirmsAStaleEntry) {
  ASSERT_EQ(Shell("ip neigh add 10.77.0.2 lladdr 02:00:00:77:00:02 dev v0 nud stale"), 0);
  const NextHop stale = MustLookup("10.77.0.2");
  EXPECT_EQ(stale.state, NextHop::State::kResolved) << "a STALE entry's MAC is still used";
  EXPECT_EQ(stale.nud_state, NUD_STALE);
  ASSERT_TRUE(next_hops_->Solicit(v0_, Ip("10.77.0.2")).ok());
  const NextHop after = MustLookup("10.77.0.2");
  EXPECT_NE(after.nud_state & (NUD_DELAY | NUD_PROBE | NUD_REACHABLE), 0) << Describe(after);
  EXPECT_EQ(after.mac, kPeerMac);
}

TEST_F(KernelNextHopsTest, GatewayRouteGivesTheGatewaysNeighbour) {
  ASSERT_EQ(Shell("ip neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent && "
                  "ip route add 10.88.0.0/16 via 10.77.0.9 && "
                  "ip route add 10.89.0.0/16 via 10.77.0.2"),
            0);
  const NextHop known = MustLookup("10.88.1.2");
  EXPECT_EQ(known.state, NextHop::State::kResolved) << Describe(known);
  EXPECT_EQ(known.via, Ip("10.77.0.9"));
  EXPECT_EQ(known.ifindex, v0_);
  EXPECT_EQ(known.mac, kStaticMac);

  const NextHop unknown = MustLookup("10.89.0.7");
  EXPECT_EQ(unknown.state, NextHop::State::kIncomplete) << Describe(unknown);
  EXPECT_EQ(unknown.via, Ip("10.77.0.2")) << "Solicit goes to the gateway, not the destination";
  EXPECT_EQ(unknown.ifindex, v0_);
}

TEST_F(KernelNextHopsTest, MultipathRouteGivesOneOfItsGateways) {
  ASSERT_EQ(Shell("ip route add 10.66.0.0/16 nexthop via 10.77.0.9 nexthop via 10.77.0.2"), 0);
  const NextHop hop = MustLookup("10.66.3.4");
  EXPECT_TRUE(hop.via == Ip("10.77.0.9") || hop.via == Ip("10.77.0.2")) << Describe(hop);
  EXPECT_EQ(hop.ifindex, v0_);
}

TEST_F(KernelNextHopsTest, NoRouteAndRefusingRoutesAreNoRoute) {
  ASSERT_EQ(Shell("ip route add blackhole 10.90.0.0/16 && ip route add unreachable 10.91.0.0/16 "
                  "&& ip route add prohibit 10.92.0.0/16 && ip route add throw 10.93.0.0/16"),
            0);
  for (const char* dst : {"10.99.0.1", "10.90.0.1", "10.91.0.1", "10.92.0.1", "10.93.0.1"}) {
    const NextHop hop = MustLookup(dst);
    EXPECT_EQ(hop.state, NextHop::State::kNoRoute) << dst << ": " << Describe(hop);
  }
}

TEST_F(KernelNextHopsTest, LocalBroadcastAndMulticastAreNotOnLink) {
  ASSERT_EQ(Shell("ip route add 224.0.0.0/4 dev v0"), 0);
  for (const char* dst : {"10.77.0.1", "127.0.0.1", "10.77.0.255", "224.0.0.5"}) {
    const NextHop hop = MustLookup(dst);
    EXPECT_EQ(hop.state, NextHop::State::kNotOnLink) << dst << ": " << Describe(hop);
  }
}

TEST_F(KernelNextHopsTest, SolicitOnNoOrAMissingInterfaceFails) {
  EXPECT_EQ(next_hops_->Solicit(0, Ip("10.77.0.2")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(next_hops_->Solicit(v0_ + 1000, Ip("10.77.0.2")).ok());
}

TEST(NextHopStateName, NamesEveryState) {
  EXPECT_STREQ(NextHopStateName(NextHop::State::kResolved), "resolved");
  EXPECT_STREQ(NextHopStateName(NextHop::State::kIncomplete), "incomplete");
  EXPECT_STREQ(NextHopStateName(NextHop::State::kNoRoute), "no-route");
  EXPECT_STREQ(NextHopStateName(NextHop::State::kNotOnLink), "not-on-link");
}

}  // namespace
}  // namespace dmpd
