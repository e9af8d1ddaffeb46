// SPDX-License-Identifier: BSD-3-Clause
// The Prometheus exposition of a realistic sample: promtool (Debian's prometheus package)
// must accept it, names and values must be what docs/monitoring.md says, and what is not
// available must be absent. Also the HTTP server that serves it.
#include "userspace/monitor/prometheus_exposition.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/monitor/monitor_test_inputs.h"
#include "tests/support/loop_client.h"
#include "userspace/runtime/metrics_endpoint.h"
#include "userspace/monitor/prometheus_text_writer.h"

namespace dmpd::monitor {
namespace {

using testing::FixtureTree;
using testing::kT0;
using testing::MakeMonitor;
using testing::VethPort;

struct ToolResult {
  int exit_code = -1;
  std::string output;
};

// Runs `promtool check metrics` on `text`; exit code -1 when promtool is missing.
ToolResult PromtoolCheck(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/dmpd-metrics.prom";
  std::ofstream(path) << text;
  FILE* p = ::popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  if (p == nullptr) return {};
  ToolResult r;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// ci/install-deps.sh installs promtool (package prometheus): its absence is a broken
// setup, not a reason to pass without checking.
bool HavePromtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

// Every sample line "name{labels} value" of the text, keyed by everything before the value.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

class OnePipe : public PipeStatsSource {
 public:
  std::vector<PipeStats> PipeSnapshot() const override {
    PipeStats p;
    p.id = 3;
    p.name = "app\"3\"";  // a name that needs escaping
    p.state = "open";
    p.capacity_bytes = 1024;
    p.fill_bytes = 256;
    return {p};
  }
};

std::shared_ptr<const NodeSample> BusySample(const FixtureTree& tree) {
  auto m = MakeMonitor(tree);
  OnePipe pipes;
  SampleInputs in;
  in.pipes = &pipes;
  in.lcores = {{0, "control", 0, 0, 0}, {1, "worker", 100, 1000, 10}};
  in.ports = {VethPort(0, 0, 0, 0, 0, std::nullopt)};
  PortInput eth1;
  eth1.name = "eth1";
  eth1.queues.resize(2);
  in.ports.push_back(eth1);
  m->Sample(kT0, in);
  in.lcores[1] = {1, "worker", 5100, 1700, 310};
  in.ports[0] = VethPort(990, 1'250'000, 1000, 125'000, 10, 0.05);
  m->Sample(kT0 + absl::Seconds(1), in);
  return m->Latest();
}

TEST(PrometheusExposition, PromtoolAcceptsIt) {
  ASSERT_TRUE(HavePromtool()) << "promtool not installed (run ci/install-deps.sh)";
  FixtureTree tree("sensors_host");
  const std::string text = RenderPrometheus(*BusySample(tree));
  const ToolResult r = PromtoolCheck(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n---\n" << text;
  EXPECT_EQ(r.output, "") << "promtool lint findings";
}

TEST(PrometheusExposition, NamesUnitsAndValues) {
  FixtureTree tree("sensors_host");
  const auto s = Samples(RenderPrometheus(*BusySample(tree)));
  const auto at = [&](const std::string& key) {
    auto it = s.find(key);
    return it == s.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(at(R"(dmpd_node_info{node="n1",node_num="1"})"), "1");
  EXPECT_EQ(at(R"(dmpd_node_cpus{node="n1"})"), "2");
  EXPECT_EQ(at(R"(dmpd_node_memory_utilisation_ratio{node="n1"})"), "0.25");
  EXPECT_EQ(at(R"(dmpd_node_cpu_temperature_celsius{node="n1"})"), "53");
  EXPECT_EQ(at(R"(dmpd_node_supply_voltage_volts{node="n1",sensor="ina3221/VDD_IN"})"), "12.1");
  EXPECT_EQ(at(R"(dmpd_node_hugepage_size_bytes{node="n1"})"), "2097152");
  EXPECT_EQ(at(R"(dmpd_node_health_check_failing{node="n1",check="lan_ports_down"})"), "0");
  // The paper's model for the veth port (values worked out in node_monitor_test).
  EXPECT_EQ(at(R"(dmpd_port_up{node="n1",port="n1p0"})"), "1");
  // F_port = 11,000,000 bits = 1,375,000 bytes.
  EXPECT_EQ(at(R"(dmpd_port_traffic_bytes_total{node="n1",port="n1p0"})"), "1375000");
  EXPECT_EQ(at(R"(dmpd_port_receive_bytes_per_second{node="n1",port="n1p0"})"), "1250000");
  EXPECT_EQ(at(R"(dmpd_port_utilisation_ratio{node="n1",port="n1p0"})"), "0.11");
  EXPECT_EQ(at(R"(dmpd_port_loss_ratio{node="n1",port="n1p0"})"), "0.05");
  // The kernel counters did not move here: 10 missed of 990 + 10 arrived = 0.01.
  EXPECT_EQ(at(R"(dmpd_port_queue_overflow_ratio{node="n1",port="n1p0"})"), "0.01");
  EXPECT_EQ(at(R"(dmpd_port_bandwidth_bytes_per_second{node="n1",port="n1p0"})"), "12500000");
  // Three sources side by side.
  EXPECT_EQ(at(R"(dmpd_port_pmd_receive_missed_packets_total{node="n1",port="n1p0",queue="0"})"),
            "10");
  EXPECT_EQ(at(R"(dmpd_port_pmd_xstat{node="n1",port="n1p0",queue="0",xstat="rx_good_packets"})"),
            "990");
  EXPECT_EQ(at(R"(dmpd_port_kernel_receive_bytes_total{node="n1",port="n1p0"})"), "5000000");
  EXPECT_EQ(at(R"(dmpd_port_xdp_frames_total{node="n1",port="n1p0",action="redirected_data"})"),
            "1000");
  EXPECT_EQ(
      at(R"(dmpd_port_kernel_channels{node="n1",port="eth1",type="combined",setting="current"})"),
      "8");
  EXPECT_EQ(at(R"(dmpd_port_kernel_speed_bytes_per_second{node="n1",port="eth1"})"), "1250000000");
  // Not available is absent, never 0: veth has no speed; eth1's map was not read.
  EXPECT_EQ(at(R"(dmpd_port_kernel_speed_bytes_per_second{node="n1",port="n1p0"})"), "<absent>");
  EXPECT_EQ(at(R"(dmpd_port_xdp_frames_total{node="n1",port="eth1",action="redirected_data"})"),
            "<absent>");
  EXPECT_EQ(at(R"(dmpd_port_loss_ratio{node="n1",port="eth1"})"), "<absent>");
  // Lcores and pipes.
  EXPECT_EQ(at(R"(dmpd_lcore_busy_ratio{node="n1",lcore="1",role="worker"})"), "0.3");
  EXPECT_EQ(at(R"(dmpd_lcore_packets_total{node="n1",lcore="1",role="worker"})"), "5100");
  EXPECT_EQ(at(R"(dmpd_pipe_fill_ratio{node="n1",pipe="3",name="app\"3\""})"), "0.25");
}

TEST(PrometheusExposition, BareVmHasNoSensorFamilies) {
  FixtureTree tree("bare_vm");
  auto m = MakeMonitor(tree);
  m->Sample(kT0, {});
  const std::string text = RenderPrometheus(*m->Latest());
  EXPECT_EQ(text.find("dmpd_node_cpu_temperature_celsius"), std::string::npos);
  EXPECT_EQ(text.find("dmpd_node_temperature_celsius"), std::string::npos);
  EXPECT_EQ(text.find("dmpd_node_supply_voltage_volts"), std::string::npos);
  EXPECT_NE(text.find("dmpd_node_load1{node=\"n1\"} 0.04"), std::string::npos);
  ASSERT_TRUE(HavePromtool()) << "promtool not installed (run ci/install-deps.sh)";
  const ToolResult r = PromtoolCheck(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(PrometheusTextWriter, EscapesAndFormats) {
  PrometheusTextWriter w;
  w.Family("x_bytes", "gauge", "back\\slash and\nnewline");
  w.Sample({{"l", "a\"b\\c\nd"}}, uint64_t{18446744073709551615ull});
  w.Sample({}, 0.1);
  w.Sample({}, std::optional<double>());  // nothing
  w.Family("never_sampled", "gauge", "no header either");
  EXPECT_EQ(w.text(),
            "# HELP x_bytes back\\\\slash and\\nnewline\n"
            "# TYPE x_bytes gauge\n"
            "x_bytes{l=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
            "x_bytes 0.1\n");
}


// The daemon's /metrics: the endpoint on an event loop, rendering the latest sample.
TEST(MetricsEndpoint, ServesMetricsFromTheLatestSample) {
  FixtureTree tree("sensors_host");
  auto m = MakeMonitor(tree);
  ManualClock clock;
  auto loop = EventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  MetricsEndpointOptions options;
  options.port = 0;
  options.content_type = kPrometheusContentType;
  auto server = MetricsEndpoint::Start(**loop, options, [&]() -> std::optional<std::string> {
    auto s = m->Latest();
    if (s == nullptr) return std::nullopt;
    return RenderPrometheus(*s);
  });
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->url(), "http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics");
  auto scrape = [&] {
    auto fd = dmpd::testing::ConnectTcp((*server)->port());
    auto reply = dmpd::testing::Exchange(**loop, fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    return reply.value_or("");
  };
  auto body = [](const std::string& r) { return r.substr(r.find("\r\n\r\n") + 4); };
  EXPECT_TRUE(absl::StartsWith(scrape(), "HTTP/1.1 503"));  // nothing sampled yet

  SampleInputs in;
  in.ports = {VethPort(0, 0, 0, 0, 0, std::nullopt)};
  m->Sample(kT0, in);
  const std::string first = scrape();
  ASSERT_TRUE(absl::StartsWith(first, "HTTP/1.1 200 OK\r\n")) << first.substr(0, 200);
  EXPECT_NE(first.find(absl::StrCat("Content-Type: ", kPrometheusContentType, "\r\n")),
            std::string::npos);
  in.ports = {VethPort(990, 1'250'000, 1000, 125'000, 10, 0.05)};
  m->Sample(kT0 + absl::Seconds(1), in);
  const std::string second = scrape();
  // Counters do not go back between scrapes.
  const auto a = Samples(body(first)), b = Samples(body(second));
  size_t counters = 0;
  for (const auto& [key, value] : a) {
    if (key.find("_total") == std::string::npos || !b.contains(key)) continue;
    ++counters;
    EXPECT_LE(std::stod(value), std::stod(b.at(key))) << key;
  }
  EXPECT_GT(counters, 20u);
  if (HavePromtool()) {
    EXPECT_EQ(PromtoolCheck(body(second)).exit_code, 0);
  }
}

}  // namespace
}  // namespace dmpd::monitor
