// SPDX-License-Identifier: BSD-3-Clause
// The kernel's view of a port from fixture sysfs trees, and the ethtool ioctl reader on
// real interfaces (lo, and a veth pair in a private network namespace when root).
#include "userspace/monitor/kernel_port_collector.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/monitor/fake_link_params_reader.h"
#include "tests/monitor/fixture_tree.h"

namespace dmpd::monitor {
namespace {

using testing::FakeLinkParamsReader;
using testing::FixtureTree;

TEST(KernelPortCollector, NicWithSpeed) {
  FixtureTree tree("sensors_host");
  FakeLinkParamsReader link;
  const KernelPortView v = KernelPortCollector(tree.sys(), &link).Read("eth0");
  EXPECT_TRUE(v.present);
  EXPECT_TRUE(v.up());
  EXPECT_EQ(v.speed_mbps, 1000u);
  EXPECT_EQ(v.mtu_bytes, 1500u);
  EXPECT_EQ(v.counters.total[KernelCounter::rx_bytes], 1'000'000u);
  EXPECT_EQ(v.counters.total[KernelCounter::rx_dropped], 2u);
  EXPECT_EQ(v.counters.total[KernelCounter::rx_fifo_errors], 0u);
}

TEST(KernelPortCollector, VethSpeedReadFailsAndVirtioSpeedIsMinusOne) {
  FixtureTree host("sensors_host");
  EXPECT_FALSE(KernelPortCollector(host.sys(), nullptr).Read("n1p0").speed_mbps.has_value());
  FixtureTree vm("bare_vm");
  const KernelPortView v = KernelPortCollector(vm.sys(), nullptr).Read("eth0");
  EXPECT_FALSE(v.speed_mbps.has_value());
  EXPECT_EQ(v.mtu_bytes, 1400u);
  EXPECT_FALSE(v.rings.has_value());  // no reader: not available
}

TEST(KernelPortCollector, OperstateAndCarrier) {
  FixtureTree tree("sensors_host");
  KernelPortCollector c(tree.sys(), nullptr);
  tree.Write("sys/class/net/eth1/operstate", "down\n");
  tree.Remove("sys/class/net/eth1/carrier");  // reading carrier of a down link fails
  KernelPortView v = c.Read("eth1");
  EXPECT_FALSE(v.up());
  EXPECT_FALSE(v.carrier.has_value());
  // Drivers without operstate report "unknown": carrier decides.
  tree.Write("sys/class/net/eth1/operstate", "unknown\n");
  tree.Write("sys/class/net/eth1/carrier", "1\n");
  EXPECT_TRUE(c.Read("eth1").up());
  tree.Write("sys/class/net/eth1/carrier", "0\n");
  EXPECT_FALSE(c.Read("eth1").up());
  EXPECT_FALSE(c.Read("nope0").present);
}

TEST(EthtoolLinkParamsReader, LoopbackHasNoRingsAndThatIsAStatusNotACrash) {
  auto reader = EthtoolLinkParamsReader::Create();
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_FALSE((*reader)->ReadRings("lo").ok());
  EXPECT_FALSE((*reader)->ReadRings("no-such-if0").ok());
  EXPECT_FALSE((*reader)->ReadRings("a-name-longer-than-ifnamsiz").ok());
}

TEST(EthtoolLinkParamsReader, VethChannelsInAPrivateNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // In a child, so that the namespace and the veth pair vanish with it.
  EXPECT_EXIT(
      {
        if (::unshare(CLONE_NEWNET) != 0) std::_Exit(2);
        if (std::system("ip link add dmpdmt0 type veth peer name dmpdmt1") != 0) std::_Exit(3);
        auto reader = EthtoolLinkParamsReader::Create();
        if (!reader.ok()) std::_Exit(4);
        absl::StatusOr<ChannelCounts> ch = (*reader)->ReadChannels("dmpdmt0");
        std::_Exit(ch.ok() && ch->rx >= 1 && ch->tx >= 1 ? 0 : 5);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace dmpd::monitor
