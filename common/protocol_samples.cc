// SPDX-License-Identifier: BSD-3-Clause
#include "common/protocol_samples.h"

#include <string_view>

namespace dmpd {
namespace {

// A node as a small cluster member would report it; some sensors absent on purpose.
NodeView SampleNode(uint16_t id, size_t ports, size_t pipes, bool all_fields) {
  NodeView n;
  n.info.id = id;
  n.info.cores = 8;
  n.info.cpu_util_ppm = 250'000;  // 25 %
  n.info.load1_milli = 1'500;
  n.info.mem_bytes = uint64_t{16} << 30;
  n.info.health = kNodeHealthy;
  if (all_fields) {
    n.info.load5_milli = 1'200;
    n.info.load15_milli = 900;
    n.info.io_util_ppm = 30'000;
    n.info.mem_util_ppm = 410'000;
    n.info.temperature_mc = 51'500;
    n.info.voltage_mv = 12'050;
    n.info.current_ma = 4'200;
    n.info.processes = 312;
    n.info.threads = 1'480;
    n.info.net_bps = 2'400'000'000;
    n.info.net_load_ppm = 300'000;
    n.info.member_state = kMemberAlive;
    n.info.last_seen_cycle = kSampleCycle;
  }
  for (size_t p = 0; p < ports; ++p) {
    PortInfo& m = n.ports.emplace_back();
    m.id = static_cast<uint16_t>(p);
    m.mac = MacAddress{0x02, 0x00, 0x00, 0x00, static_cast<uint8_t>(id), static_cast<uint8_t>(p)};
    m.state = kPortUp;
    m.speed_bps = 10'000'000'000;
    m.rx_bytes = 123'456'789 + p;
    m.tx_bytes = 98'765'432 + p;
    m.util_ppm = 120'000;
    if (all_fields) {
      m.rx_packets = 1'000'000 + p;
      m.tx_packets = 900'000 + p;
      m.errors = 0;
      m.drops = 7;
      m.queue_overflows = 1;
      m.loss_ppm = 100;
      m.load_ppm = 110'000;
    }
  }
  for (size_t q = 0; q < pipes; ++q) {
    PipeInfo& p = n.pipes.emplace_back();
    p.id = static_cast<uint16_t>(q + 1);
    p.state = kPipeOpen;
    p.priority = 2;
    p.buffer_bytes = 1 << 20;
    p.fill_bytes = 4096;
    if (all_fields) {
      p.threshold_bps = 1'000'000'000;
      p.tx_bps = 80'000'000;
      p.rx_bps = 60'000'000;
      p.drops = 0;
    }
  }
  return n;
}

}  // namespace

std::vector<MessageBody> SampleMessages() {
  std::vector<MessageBody> out;
  Hello hello;
  hello.port_mac = MacAddress{0x02, 0x00, 0x00, 0x00, 0x03, 0x01};
  hello.port_count = 2;
  hello.term = 7;
  hello.name = "node3";
  out.emplace_back(hello);
  out.emplace_back(TimeSync{.term = 7,
                            .cycle = kSampleCycle,
                            .master_time_ns = 1'700'000'000'000'000'000,
                            .interval_us = 100'000,
                            .reply_delay_us = 20'000});
  Heartbeat hb;
  hb.term = 7;
  hb.cycle = kSampleCycle;
  hb.master_time_ns = 1'700'000'000'020'000'000;
  hb.nodes.push_back(SampleNode(kSampleNode, 1, 1, false));
  out.emplace_back(hb);
  HeartbeatResponse resp;
  resp.term = 7;
  resp.cycle = kSampleCycle;
  resp.node_time_ns = 1'700'000'000'001'000'000;
  resp.self = SampleNode(kSampleNode, 1, 0, false);
  MasterObservation& o = resp.observations.emplace_back();
  o.id = 0;
  o.master_port = 0;
  o.heartbeats_received = 41;
  o.last_sequence = 0x000000FF;
  // sync_delay_us absent: this node could not measure it.
  PeerReceipt& receipt = resp.receipts.emplace_back();
  receipt.id = 0;
  receipt.sender_node = 1;
  receipt.received = 40;
  receipt.numbered = 41;
  out.emplace_back(resp);
  out.emplace_back(Candidacy{{.term = 8, .node = kSampleNode, .priority = 5, .view_cycle = 41}});
  out.emplace_back(Vote{{.term = 8, .node = kSampleNode, .priority = 5, .view_cycle = 41}});
  out.emplace_back(Announce{{.term = 8, .node = kSampleNode, .priority = 5, .view_cycle = 42}});
  out.emplace_back(Leave{.reason = kAllPortsDown, .term = 8});
  out.emplace_back(DataMessage{.header = {.src_node = kSampleNode,
                                          .dst_node = 5,
                                          .src_pipe = 1,
                                          .dst_pipe = 2,
                                          .type = 9,
                                          .flags = DMPD_DATA_F_MULTI_SEND,
                                          .sequence = 1000},
                               .payload = {'p', 'i', 'n', 'g'}});
  return out;
}

std::vector<uint8_t> SampleClusterKey() {
  constexpr std::string_view kKey = "dmpd-sample-key-0123456789abcdef";
  return {kKey.begin(), kKey.end()};
}

FrameWriterOptions SampleWriterOptions(const FrameAuth* auth) {
  FrameWriterOptions o;
  o.cluster_id = kSampleCluster;
  o.sender_node = kSampleNode;
  o.auth = auth;
  o.epoch = 1'700'000'000'000'000;  // us
  return o;
}

Heartbeat SampleView(size_t nodes, size_t ports) {
  Heartbeat hb;
  hb.term = 7;
  hb.cycle = kSampleCycle;
  hb.master_time_ns = 1'700'000'000'020'000'000;
  for (size_t i = 0; i < nodes; ++i) {
    hb.nodes.push_back(SampleNode(static_cast<uint16_t>(i + 1), ports, 2, true));
  }
  return hb;
}

}  // namespace dmpd
