// SPDX-License-Identifier: BSD-3-Clause
// Tier 2: the dmpd_steer program, loaded for real and run on crafted frames.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "dmpd_steer.skel.h"
#include "foreign_pass.skel.h"
#include "tests/support/frame_builder.h"
#include "tests/vs/vs_test_support.h"
#include "userspace/xdp/steer_maps.h"
#include "userspace/xdp/xdp_attachment.h"

namespace dmpd {
namespace {

using testing::FrameBuilder;

uint32_t ProgId(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  EXPECT_EQ(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
  return info.id;
}

class SteerProgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skel_.reset(dmpd_steer::open_and_load());
    ASSERT_NE(skel_, nullptr) << "loading dmpd_steer failed (tests need root for BPF)";
    auto prog = DescribeProgram(ProgId(bpf_program__fd(skel_->progs.dmpd_steer)));
    ASSERT_TRUE(prog.ok()) << prog.status();
    prog_ = *prog;
    auto maps = SteerMaps::Open(prog_);
    ASSERT_TRUE(maps.ok()) << maps.status();
    maps_.emplace(*std::move(maps));
  }

  void Configure(uint16_t ethertype, uint32_t cluster, bool filter,
                 std::optional<uint16_t> node = std::nullopt,
                 std::optional<std::array<uint8_t, 6>> port_mac = std::nullopt,
                 bool accept_foreign_unicast = false) {
    ASSERT_TRUE(maps_->Configure({.ethertype = ethertype,
                                  .cluster_id = cluster,
                                  .filter_other_clusters = filter,
                                  .local_node = node,
                                  .accept_foreign_unicast = accept_foreign_unicast},
                                 port_mac)
                    .ok());
  }

  // Runs one frame; returns the verdict and which counters moved.
  int Run(const std::vector<uint8_t>& frame, dmpd_steer_counters* delta) {
    auto before = maps_->ReadCounters();
    EXPECT_TRUE(before.ok());
    std::vector<uint8_t> data = frame;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.data(),
                .data_size_in = static_cast<__u32>(data.size()), .repeat = 1);
    int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.dmpd_steer), &opts);
    EXPECT_EQ(err, 0) << strerror(-err);
    auto after = maps_->ReadCounters();
    EXPECT_TRUE(after.ok());
#define DMPD_DELTA(name, desc) delta->name = after->name - before->name;
    DMPD_STEER_COUNTERS(DMPD_DELTA)
#undef DMPD_DELTA
    return static_cast<int>(opts.retval);
  }

  struct SkelDeleter {
    void operator()(dmpd_steer* s) const { dmpd_steer::destroy(s); }
  };
  std::unique_ptr<dmpd_steer, SkelDeleter> skel_;
  AttachedProgram prog_;
  std::optional<SteerMaps> maps_;
};

uint64_t Total(const dmpd_steer_counters& c) {
  uint64_t sum = 0;
#define DMPD_SUM(name, desc) sum += c.name;
  DMPD_STEER_COUNTERS(DMPD_SUM)
#undef DMPD_SUM
  return sum;
}

// Each case: a frame, the verdict, and the one counter that must move.
#define EXPECT_VERDICT(frame, verdict, counter)        \
  do {                                                 \
    dmpd_steer_counters d{};                           \
    EXPECT_EQ(Run(frame, &d), verdict);                \
    EXPECT_EQ(d.counter, 1u) << #counter;              \
    EXPECT_EQ(Total(d), 1u) << "exactly one counter"; \
  } while (0)

FrameHeader Hello(uint32_t cluster) {
  return FrameHeader{.kind = DMPD_KIND_HELLO, .cluster_id = cluster, .sender_node = 2};
}

TEST_F(SteerProgTest, IsRecognisedAsOursAndForeignIsNot) {
  EXPECT_TRUE(IsSteerProgram(prog_));
  std::unique_ptr<foreign_pass, void (*)(foreign_pass*)> foreign(foreign_pass::open_and_load(),
                                                                 foreign_pass::destroy);
  ASSERT_NE(foreign, nullptr);
  auto other = DescribeProgram(ProgId(bpf_program__fd(foreign->progs.foreign_pass)));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(IsSteerProgram(*other));
  // A foreign program that borrowed our name is still not ours: it lacks our maps.
  other->name = DMPD_STEER_PROG_NAME;
  EXPECT_FALSE(IsSteerProgram(*other));
}

TEST_F(SteerProgTest, NonDmpdGoesToTheKernel) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  EXPECT_VERDICT(FrameBuilder().Ethertype(ETH_P_IP).PadToMinimum().Build(), XDP_PASS,
                 passed_to_kernel);
  EXPECT_VERDICT(FrameBuilder().Ethertype(ETH_P_ARP).PadToMinimum().Build(), XDP_PASS,
                 passed_to_kernel);
  EXPECT_VERDICT(FrameBuilder().VlanTag(ETH_P_8021Q).Ethertype(ETH_P_IPV6).Build(), XDP_PASS,
                 passed_to_kernel);
  // Three tags are more than we look through: not ours, so the kernel's.
  EXPECT_VERDICT(FrameBuilder()
                     .VlanTag(ETH_P_8021AD)
                     .VlanTag(ETH_P_8021Q)
                     .VlanTag(ETH_P_8021Q)
                     .Header(Hello(1))
                     .Build(),
                 XDP_PASS, passed_to_kernel);
}

TEST_F(SteerProgTest, ValidDmpdIsRedirectedOrFallsBackWithoutSocket) {
  // No AF_XDP socket in xsks_map here, so a steered frame is dropped and counted as
  // no_socket: that counter proves the frame was classified as ours.
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  EXPECT_VERDICT(FrameBuilder().Header(Hello(1)).PadToMinimum().Build(), XDP_DROP, no_socket);
  EXPECT_VERDICT(FrameBuilder().VlanTag(ETH_P_8021Q).Header(Hello(1)).Build(), XDP_DROP,
                 no_socket);
  EXPECT_VERDICT(
      FrameBuilder().VlanTag(ETH_P_8021AD).VlanTag(ETH_P_8021Q).Header(Hello(1)).Build(),
      XDP_DROP, no_socket);
  FrameHeader data = Hello(1);
  data.kind = DMPD_KIND_DATA;
  EXPECT_VERDICT(FrameBuilder().Header(data).Payload(std::vector<uint8_t>(100, 7)).Build(),
                 XDP_DROP, no_socket);
}

TEST_F(SteerProgTest, MalformedDmpdIsDropped) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  auto frame = FrameBuilder().Header(Hello(1)).Build();  // 14 + 20 bytes, no padding
  for (size_t len = kEthHeaderLen; len < frame.size(); ++len) {
    SCOPED_TRACE(len);
    EXPECT_VERDICT(std::vector<uint8_t>(frame.begin(), frame.begin() + len), XDP_DROP,
                   malformed);
  }
  FrameHeader bad_version = Hello(1);
  bad_version.version = 9;
  EXPECT_VERDICT(FrameBuilder().Header(bad_version).PadToMinimum().Build(), XDP_DROP, malformed);
  EXPECT_VERDICT(FrameBuilder().Header(Hello(1)).Payload({1, 2, 3}).ClaimedPayloadLen(4).Build(),
                 XDP_DROP, malformed);
  EXPECT_VERDICT(FrameBuilder().Header(Hello(1)).ClaimedPayloadLen(0xFFFF).PadToMinimum().Build(),
                 XDP_DROP, malformed);
}

TEST_F(SteerProgTest, OtherClusterIsFilteredOnlyWhenAsked) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  EXPECT_VERDICT(FrameBuilder().Header(Hello(2)).PadToMinimum().Build(), XDP_DROP, other_cluster);
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, false);
  EXPECT_VERDICT(FrameBuilder().Header(Hello(2)).PadToMinimum().Build(), XDP_DROP, no_socket);
}

std::vector<uint8_t> DataFor(uint16_t dst_node, size_t payload = 16) {
  FrameHeader h = Hello(1);
  h.kind = DMPD_KIND_DATA;
  std::vector<uint8_t> body(payload, 0);
  if (payload >= 4) {
    body[2] = static_cast<uint8_t>(dst_node >> 8);  // dmpd_data_hdr.dst_node
    body[3] = static_cast<uint8_t>(dst_node);
  }
  return FrameBuilder().Header(h).Payload(body).PadToMinimum().Build();
}

TEST_F(SteerProgTest, DataForAnotherNodeIsFilteredOnlyWhenAsked) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true, uint16_t{7});
  EXPECT_VERDICT(DataFor(7), XDP_DROP, no_socket);  // ours: steered (no socket here)
  EXPECT_VERDICT(DataFor(8), XDP_DROP, not_for_node);
  EXPECT_VERDICT(DataFor(7, 8), XDP_DROP, malformed);  // too short to tell whose it is
  EXPECT_VERDICT(FrameBuilder().Header(Hello(1)).PadToMinimum().Build(), XDP_DROP,
                 no_socket);  // control frames are for every node
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  EXPECT_VERDICT(DataFor(8), XDP_DROP, no_socket);
}

constexpr std::array<uint8_t, 6> kOwnMac = {0x02, 0xdd, 0x00, 0x00, 0x01, 0x00};
constexpr std::array<uint8_t, 6> kForeignMac = {0x02, 0xdd, 0x00, 0x00, 0x09, 0x00};
// Differs from kOwnMac in the last byte only: every byte is compared.
constexpr std::array<uint8_t, 6> kNearlyOwnMac = {0x02, 0xdd, 0x00, 0x00, 0x01, 0x01};
constexpr std::array<uint8_t, 6> kMulticastMac = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};

std::vector<uint8_t> HelloTo(std::array<uint8_t, 6> dst) {
  return FrameBuilder().Dst(dst).Header(Hello(1)).PadToMinimum().Build();
}

TEST_F(SteerProgTest, ForeignUnicastIsDroppedAndCountedOnce) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true, uint16_t{7}, kOwnMac);
  EXPECT_VERDICT(HelloTo(kOwnMac), XDP_DROP, no_socket);  // ours: steered (no socket here)
  EXPECT_VERDICT(HelloTo({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), XDP_DROP, no_socket);
  EXPECT_VERDICT(HelloTo(kMulticastMac), XDP_DROP, no_socket);
  EXPECT_VERDICT(HelloTo(kForeignMac), XDP_DROP, foreign_unicast);
  EXPECT_VERDICT(HelloTo(kNearlyOwnMac), XDP_DROP, foreign_unicast);
  // Judged before anything else in the frame: a flooded frame is not ours, whatever it is.
  EXPECT_VERDICT(FrameBuilder().Dst(kForeignMac).Header(Hello(2)).PadToMinimum().Build(),
                 XDP_DROP, foreign_unicast);
  EXPECT_VERDICT(FrameBuilder().Dst(kForeignMac).VlanTag(ETH_P_8021Q).Header(Hello(1)).Build(),
                 XDP_DROP, foreign_unicast);
  // Data frames for this node, sent to the port's MAC, are steered.
  std::vector<uint8_t> data = DataFor(7);
  std::copy(kOwnMac.begin(), kOwnMac.end(), data.begin());
  EXPECT_VERDICT(data, XDP_DROP, no_socket);
}

TEST_F(SteerProgTest, ForeignUnicastNonDmpdStillGoesToTheKernel) {
  // DP-1: never drop traffic that is not DMPD, whatever its destination.
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true, std::nullopt, kOwnMac);
  EXPECT_VERDICT(FrameBuilder().Dst(kForeignMac).Ethertype(ETH_P_IP).PadToMinimum().Build(),
                 XDP_PASS, passed_to_kernel);
  EXPECT_VERDICT(FrameBuilder().Dst(kForeignMac).Ethertype(ETH_P_ARP).PadToMinimum().Build(),
                 XDP_PASS, passed_to_kernel);
}

TEST_F(SteerProgTest, ForeignUnicastAcceptedWhenAskedOrMacUnknown) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true, std::nullopt, kOwnMac,
            /*accept_foreign_unicast=*/true);
  EXPECT_VERDICT(HelloTo(kForeignMac), XDP_DROP, no_socket);
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);  // no MAC given: nothing to compare with
  EXPECT_VERDICT(HelloTo(kForeignMac), XDP_DROP, no_socket);
}

// A pin directory on bpffs for one test, removed with whatever is left in it.
class ScratchPinDir {
 public:
  explicit ScratchPinDir(const char* tag)
      : path_("/sys/fs/bpf/dmpd_test_" + std::to_string(::getpid()) + "_" + tag) {}
  ~ScratchPinDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(SteerProgTest, CountersOfACrashedRunAreCarriedOverAcrossCrashes) {
  ScratchPinDir dir("carry");
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  dmpd_steer_counters d{};
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Run(HelloTo(kOwnMac), &d), XDP_DROP);
  absl::Status pinned = maps_->Pin(dir.path());
  ASSERT_TRUE(pinned.ok()) << pinned;
  // Run 1 "crashed": its program (prog_) is still attached, its maps pinned. The pin and
  // the program's own map are the same map: counted once (sources: the counters pin and
  // the, empty, carried pin).
  auto left = ReadLeftoverCounters(dir.path(), &prog_);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->counters.no_socket, 3u);
  EXPECT_EQ(Total(left->counters), 3u);
  EXPECT_EQ(left->sources.size(), 2u);

  // Run 2 takes over: its program is new, the carried counters are added and pinned.
  std::unique_ptr<dmpd_steer, SkelDeleter> skel2(dmpd_steer::open_and_load());
  ASSERT_NE(skel2, nullptr);
  const int fd2 = bpf_program__fd(skel2->progs.dmpd_steer);
  auto prog2 = DescribeProgram(ProgId(fd2));
  ASSERT_TRUE(prog2.ok());
  auto maps2 = SteerMaps::Open(*prog2);
  ASSERT_TRUE(maps2.ok());
  maps2->SetCarriedOver(left->counters);
  ASSERT_TRUE(maps2->Pin(dir.path()).ok());  // replaces run 1's pins
  auto now = maps2->ReadCounters();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->no_socket, 3u) << "carried counters are part of every reading";
  EXPECT_EQ(maps2->carried_over().no_socket, 3u);
  for (int i = 0; i < 2; ++i) {
    std::vector<uint8_t> frame = HelloTo({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<__u32>(frame.size()), .repeat = 1);
    ASSERT_EQ(bpf_prog_test_run_opts(fd2, &opts), 0);
  }
  now = maps2->ReadCounters();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->no_socket, 5u);

  // Run 2 "crashed" too (its SteerMaps never unpins): run 3 finds run 1's frames in the
  // carried pin and run 2's in the counters pin. Nothing is lost, nothing counted twice.
  left = ReadLeftoverCounters(dir.path(), nullptr);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->counters.no_socket, 5u);
  EXPECT_EQ(Total(left->counters), 5u);
  EXPECT_EQ(left->sources.size(), 2u);
  // The carried pin is printable by name like the live counters.
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/carried"));
  maps2->Unpin();
  EXPECT_FALSE(std::filesystem::exists(dir.path())) << "Unpin leaves nothing behind";
}

TEST_F(SteerProgTest, LeftoverCountersOfAnOlderLayoutAreReadByPosition) {
  ScratchPinDir dir("old");
  ASSERT_EQ(::mkdir(dir.path().c_str(), 0700), 0);
  // A previous version's counters map: the first 7 counters, no foreign_unicast.
  const uint32_t old_size = 7 * 8;
  int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, DMPD_STEER_COUNTERS_MAP, 4, old_size, 1,
                          nullptr);
  ASSERT_GE(fd, 0) << strerror(errno);
  const int cpus = libbpf_num_possible_cpus();
  std::vector<uint64_t> values(static_cast<size_t>(cpus) * 7, 0);
  values[6] = 4;  // no_socket on CPU 0
  if (cpus > 1) values[7 + 6] = 1;
  __u32 key = 0;
  ASSERT_EQ(bpf_map_update_elem(fd, &key, values.data(), BPF_ANY), 0);
  ASSERT_EQ(bpf_obj_pin(fd, (dir.path() + "/counters").c_str()), 0);
  ::close(fd);
  auto left = ReadLeftoverCounters(dir.path(), nullptr);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->counters.no_socket, cpus > 1 ? 5u : 4u);
  EXPECT_EQ(left->counters.foreign_unicast, 0u);

  // A pin that is not a counters map of ours is left out, not misread.
  ScratchPinDir other("other");
  ASSERT_EQ(::mkdir(other.path().c_str(), 0700), 0);
  fd = bpf_map_create(BPF_MAP_TYPE_HASH, "not_ours", 4, 8, 4, nullptr);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bpf_obj_pin(fd, (other.path() + "/counters").c_str()), 0);
  ::close(fd);
  left = ReadLeftoverCounters(other.path(), nullptr);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(left->sources.empty());
  EXPECT_EQ(Total(left->counters), 0u);
}

TEST_F(SteerProgTest, UnconfiguredSteersWithDefaults) {
  // Before the daemon writes its config: default EtherType, no cluster filtering.
  EXPECT_VERDICT(FrameBuilder().Header(Hello(99)).PadToMinimum().Build(), XDP_DROP, no_socket);
  EXPECT_VERDICT(FrameBuilder().Ethertype(ETH_P_IP).PadToMinimum().Build(), XDP_PASS,
                 passed_to_kernel);
}

TEST_F(SteerProgTest, EthertypeIsConfigurable) {
  Configure(0x88B6, 1, true);
  EXPECT_VERDICT(FrameBuilder().Ethertype(0x88B6).Header(Hello(1)).PadToMinimum().Build(),
                 XDP_DROP, no_socket);
  EXPECT_VERDICT(FrameBuilder().Header(Hello(1)).PadToMinimum().Build(), XDP_PASS,
                 passed_to_kernel);
}

// --- the virtual service's frames (issue 9) ------------------------------------------------

class VirtualServiceSteerTest : public SteerProgTest {
 protected:
  static constexpr uint32_t kVip = 0x0a000064;  // 10.0.0.100

  void ConfigureService() {
    Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
    const uint32_t zero = 0;
    const dmpd_vs_config cfg{DMPD_VS_CONFIG_MAGIC, 40000, 40099};
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.dmpd_vs_cfg, &zero, sizeof(zero), &cfg,
                                   sizeof(cfg), BPF_ANY), 0);
    const __be32 vip = htonl(kVip);
    const uint32_t one = 1;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.dmpd_vs_vips, &vip, sizeof(vip), &one,
                                   sizeof(one), BPF_ANY), 0);
    const dmpd_vs_service_key svc{htonl(kVip), htons(80), IPPROTO_TCP, 0};
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.dmpd_vs_svc, &svc, sizeof(svc), &one,
                                   sizeof(one), BPF_ANY), 0);
  }

  dmpd_vs_counters VsCounters() {
    const int cpus = libbpf_num_possible_cpus();
    std::vector<dmpd_vs_counters> per_cpu(static_cast<size_t>(cpus));
    const uint32_t zero = 0;
    EXPECT_EQ(bpf_map__lookup_elem(skel_->maps.dmpd_vs_count, &zero, sizeof(zero),
                                   per_cpu.data(), per_cpu.size() * sizeof(dmpd_vs_counters), 0),
              0);
    dmpd_vs_counters sum{};
    for (const auto& c : per_cpu) {
#define DMPD_VS_SUM(name, desc) sum.name += c.name;
      DMPD_VS_COUNTERS(DMPD_VS_SUM)
#undef DMPD_VS_SUM
    }
    return sum;
  }

  // An Ethernet frame around an IPv4 packet.
  static std::vector<uint8_t> Frame(const std::vector<uint8_t>& ip) {
    std::vector<uint8_t> f{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
  }

  static std::vector<uint8_t> Packet(uint8_t proto, uint32_t dst, uint16_t dport) {
    vs::test_support::PacketSpec s;
    s.proto = proto;
    s.src_addr = 0x0a020007;
    s.src_port = 5555;
    s.dst_addr = dst;
    s.dst_port = dport;
    s.tcp_flags = vs::kTcpSyn;
    return vs::test_support::BuildPacket(s);
  }

  // The verdict; `vs` true when the frame moved a virtual service counter (and exactly
  // one counter moved in all).
  int RunOne(const std::vector<uint8_t>& frame, bool* vs) {
    const dmpd_vs_counters before = VsCounters();
    dmpd_steer_counters d{};
    const int verdict = Run(frame, &d);
    const dmpd_vs_counters after = VsCounters();
    const uint64_t vs_moved = (after.redirected_vs - before.redirected_vs) +
                              (after.vs_no_socket - before.vs_no_socket);
    EXPECT_EQ(Total(d) + vs_moved, 1u) << "exactly one counter";
    *vs = vs_moved == 1;
    return verdict;
  }
};

TEST_F(VirtualServiceSteerTest, NothingIsTakenBeforeTheDaemonConfiguresAService) {
  Configure(DMPD_ETHERTYPE_DEFAULT, 1, true);
  bool vs = false;
  EXPECT_EQ(RunOne(Frame(Packet(IPPROTO_TCP, kVip, 80)), &vs), XDP_PASS);
  EXPECT_FALSE(vs);
}

TEST_F(VirtualServiceSteerTest, RequestsAndRepliesGoToTheSocketTheRestToTheKernel) {
  ConfigureService();
  bool vs = false;
  // vip:vport (a request) and vip:vdport (a reply): the service's. The test run has no
  // AF_XDP socket, so they end as vs_no_socket, which says the program chose the socket.
  EXPECT_EQ(RunOne(Frame(Packet(IPPROTO_TCP, kVip, 80)), &vs), XDP_DROP);
  EXPECT_TRUE(vs);
  EXPECT_EQ(RunOne(Frame(Packet(IPPROTO_TCP, kVip, 40000)), &vs), XDP_DROP);
  EXPECT_TRUE(vs);
  EXPECT_EQ(RunOne(Frame(Packet(IPPROTO_UDP, kVip, 40099)), &vs), XDP_DROP);
  EXPECT_TRUE(vs);
  // The kernel's: the node's SSH on the VIP, UDP to the TCP service's port, just outside
  // the vdport range, another address.
  for (const auto& [proto, dst, port] :
       std::vector<std::tuple<uint8_t, uint32_t, uint16_t>>{{IPPROTO_TCP, kVip, 22},
                                                            {IPPROTO_UDP, kVip, 80},
                                                            {IPPROTO_TCP, kVip, 39999},
                                                            {IPPROTO_TCP, kVip, 40100},
                                                            {IPPROTO_TCP, kVip + 1, 80}}) {
    EXPECT_EQ(RunOne(Frame(Packet(proto, dst, port)), &vs), XDP_PASS) << port;
    EXPECT_FALSE(vs) << port;
  }
}

TEST_F(VirtualServiceSteerTest, IcmpFragmentsAndShortPacketsToTheVipStayTheKernels) {
  ConfigureService();
  bool vs = true;
  auto icmp = Packet(IPPROTO_TCP, kVip, 80);
  icmp[9] = IPPROTO_ICMP;
  EXPECT_EQ(RunOne(Frame(icmp), &vs), XDP_PASS);
  EXPECT_FALSE(vs);
  auto fragment = Packet(IPPROTO_TCP, kVip, 80);
  fragment[6] = 0x00;
  fragment[7] = 0x10;  // offset 128 bytes: no ports in it
  EXPECT_EQ(RunOne(Frame(fragment), &vs), XDP_PASS);
  EXPECT_FALSE(vs);
  auto whole = Frame(Packet(IPPROTO_TCP, kVip, 80));
  whole.resize(14 + 20 + 3);  // the destination port cut
  EXPECT_EQ(RunOne(whole, &vs), XDP_PASS);
  EXPECT_FALSE(vs);
  // ARP is not IPv4; DMPD frames still go their own way.
  EXPECT_EQ(RunOne(FrameBuilder().Ethertype(ETH_P_ARP).PadToMinimum().Build(), &vs), XDP_PASS);
  EXPECT_FALSE(vs);
  EXPECT_EQ(RunOne(FrameBuilder().Header(Hello(1)).PadToMinimum().Build(), &vs), XDP_DROP);
  EXPECT_FALSE(vs);  // no_socket, DMPD's counter
}

TEST_F(VirtualServiceSteerTest, PortsAreFoundAfterIpOptions) {
  ConfigureService();
  auto p = Packet(IPPROTO_TCP, kVip, 80);
  // Insert 4 bytes of options (NOPs) after the 20-byte header: the worker refuses and
  // counts them; the program must still read the right ports to hand them over.
  p.insert(p.begin() + 20, {1, 1, 1, 0});
  p[0] = 0x46;
  bool vs = false;
  EXPECT_EQ(RunOne(Frame(p), &vs), XDP_DROP);
  EXPECT_TRUE(vs);
}

}  // namespace
}  // namespace dmpd
