// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/daemon_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dmpd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ErrorOf(const std::vector<std::string>& args) {
  auto c = ParseDaemonArgs(args);
  EXPECT_FALSE(c.ok()) << "accepted bad arguments";
  return std::string(c.status().message());
}

TEST(DaemonConfig, FlagsInBothSpellingsAndDerivedDefaults) {
  auto c = ParseDaemonArgs({"--node", "3", "--interfaces=eth1, eth2", "--cluster_id", "0x10",
                            "--hello-interval-ms", "100", "--ethertype", "0x88b6"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node, 3);
  EXPECT_EQ(c->interfaces, (std::vector<std::string>{"eth1", "eth2"}));
  EXPECT_EQ(c->cluster_id, 16u);
  EXPECT_EQ(c->hello_interval_ms, 100u);
  EXPECT_EQ(c->ethertype, 0x88B6);
  EXPECT_EQ(c->bpf_pin_dir, "/sys/fs/bpf/dmpd/node3");
}

TEST(DaemonConfig, BadValuesNameTheField) {
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--hello-interval-ms", "5"}),
              HasSubstr("hello_interval_ms: expected an integer from 10 to 60000"));
  EXPECT_THAT(ErrorOf({"--node", "x", "--interfaces", "a"}), HasSubstr("'x' for node"));
  EXPECT_THAT(ErrorOf({"--node", "70000", "--interfaces", "a"}), HasSubstr("for node"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--ethertype", "0x0800x"}),
              HasSubstr("for ethertype"));
  // Values below 0x0600 are 802.3 lengths.
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--ethertype", "1500"}),
              HasSubstr("for ethertype"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--ethertype", "0x0800"}),
              HasSubstr("kernel does not use"));  // would steer the node's IPv4
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--ethertype", "0x8100"}),
              HasSubstr("kernel does not use"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a,a"}), HasSubstr("a repeats"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "waytoolonginterfacename"}),
              HasSubstr("for interfaces"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--control-socket", "rel/path"}),
              HasSubstr("control_socket: expected an absolute path"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--log-level", "loud"}),
              HasSubstr("log_level"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--colour", "red"}),
              HasSubstr("unknown setting 'colour'"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces"}), HasSubstr("needs a value"));
}

TEST(DaemonConfig, IdleYieldDefaultsOnAndParses) {
  auto c = ParseDaemonArgs({"--node", "1", "--interfaces", "a"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->idle_yield);
  c = ParseDaemonArgs({"--node", "1", "--interfaces", "a", "--idle-yield", "false"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->idle_yield);
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--idle-yield", "sometimes"}),
              HasSubstr("idle_yield"));
}

TEST(DaemonConfig, PipeYieldWindowDefaultsToFourAndZeroTurnsItOff) {
  auto c = ParseDaemonArgs({"--node", "1", "--interfaces", "a"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pipe_yield_window, 4u);
  c = ParseDaemonArgs({"--node", "1", "--interfaces", "a", "--pipe-yield-window", "0"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pipe_yield_window, 0u);
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--pipe-yield-window", "5000"}),
              HasSubstr("pipe_yield_window"));
}

TEST(DaemonConfig, RequiredFields) {
  EXPECT_THAT(ErrorOf({"--interfaces", "a"}), HasSubstr("node: required"));
  EXPECT_THAT(ErrorOf({"--node", "1"}), HasSubstr("interfaces: required"));
}

TEST(DaemonConfig, FileTextWithCommentsAndLineNumbers) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyConfigText(c, "# dmpd\nnode = 4\n\ninterfaces = p0,p1  # LAN\n", "f").ok());
  EXPECT_EQ(c.node, 4);
  EXPECT_EQ(c.interfaces.size(), 2u);
  auto s = ApplyConfigText(c, "node = 4\nhello_interval_ms = soon\n", "/etc/dmpd.conf");
  EXPECT_EQ(s.message(),
            "/etc/dmpd.conf:2: invalid value 'soon' for hello_interval_ms: expected an integer "
            "from 10 to 60000");
  EXPECT_THAT(std::string(ApplyConfigText(c, "node 4\n", "f").message()),
              HasSubstr("f:1: expected 'key = value'"));
}

TEST(DaemonConfig, HelpIsNotAnError) {
  auto c = ParseDaemonArgs({"--help"});
  EXPECT_TRUE(absl::IsCancelled(c.status()));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("usage: dmpdd"));
}

TEST(DaemonConfig, VersionIsNotAnError) {
  auto c = ParseDaemonArgs({"--version"});
  EXPECT_TRUE(absl::IsCancelled(c.status()));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("dmpdd 0."));
}

TEST(DaemonConfig, AMistypedSettingSuggestsTheRightOne) {
  auto c = ParseDaemonArgs({"--node", "1", "--interfaces", "p0", "--max_neighbors", "100"});
  EXPECT_EQ(c.status().message(),
            "unknown setting 'max_neighbors' (did you mean 'max_neighbours'?)");
  DaemonConfig d;
  EXPECT_EQ(ApplySetting(d, "vs-timeout-udp", "5").message(),
            "unknown setting 'vs-timeout-udp' (did you mean 'vs_timeout_udp_s'?)");
  EXPECT_EQ(ApplySetting(d, "frobnicate", "5").message(), "unknown setting 'frobnicate'");
}

TEST(DaemonConfig, EverySettingTheHelpListsIsOneTheParserKnows) {
  const std::vector<std::string> names = KnownSettingNames();
  EXPECT_GT(names.size(), 50u);
  for (const std::string& name : names) {
    if (name == "config") continue;  // a file, read before the settings
    DaemonConfig c;
    EXPECT_THAT(std::string(ApplySetting(c, name, "x").message()),
                Not(HasSubstr("unknown setting")))
        << name;
  }
}

TEST(DaemonConfig, PortHardeningSettingsDefaultOffAndParse) {
  auto c = ParseDaemonArgs({"--node", "1", "--interfaces", "a"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->accept_foreign_unicast);  // DP-3: foreign unicast dropped by default
  EXPECT_FALSE(c->allow_generic_xdp);       // generic XDP refused by default
  c = ParseDaemonArgs({"--node", "1", "--interfaces", "a", "--accept-foreign-unicast", "true",
                       "--allow_generic_xdp=yes"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->accept_foreign_unicast);
  EXPECT_TRUE(c->allow_generic_xdp);
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--allow-generic-xdp", "maybe"}),
              HasSubstr("for allow_generic_xdp: expected true or false"));
  EXPECT_THAT(DaemonUsage(), HasSubstr("accept_foreign_unicast"));
  EXPECT_THAT(DaemonUsage(), HasSubstr("allow_generic_xdp"));
}

TEST(DaemonConfig, VirtualServiceLinesRepeatAndAreCheckedWhole) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyConfigText(c,
                              "node = 1\ninterfaces = a\n"
                              "vs_service = 198.19.100.1:80/tcp wrr\n"
                              "vs_backend = 198.19.100.1:80/tcp 198.19.11.2:8080 3\n"
                              "vs_backend = 198.19.100.1:80/tcp 198.19.12.2:8080\n"
                              "vs_vdports = 61000-61099\n",
                              "test.conf")
                  .ok());
  EXPECT_EQ(c.vs_services, std::vector<std::string>{"198.19.100.1:80/tcp wrr"});
  EXPECT_EQ(c.vs_backends.size(), 2u);
  EXPECT_EQ(c.vs_vdport_first, 61000);
  EXPECT_EQ(c.vs_vdport_last, 61099);
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--vs-service", "198.19.100.1:80"}),
              HasSubstr("vs_service"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--vs-service", "1.2.3.4:80/tcp fair"}),
              HasSubstr("scheduler 'fair'"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--vs-backend",
                       "1.2.3.4:80/tcp 10.0.0.2:8080 70000"}),
              HasSubstr("weight"));
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--vs-vdports", "100-10"}),
              HasSubstr("vs_vdports"));
  EXPECT_THAT(DaemonUsage(), HasSubstr("vs_vdports"));
  auto t = ParseDaemonArgs({"--node", "1", "--interfaces", "a", "--vs-timeout-close-s", "2"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->vs_timeouts.close_s, 2u);
  EXPECT_EQ(t->vs_timeouts.fin_wait_s, 120u);  // the others keep LVS's defaults
  EXPECT_THAT(ErrorOf({"--node", "1", "--interfaces", "a", "--vs-timeout-udp-s", "0"}),
              HasSubstr("vs_timeout_udp_s"));
}

}  // namespace
}  // namespace dmpd
