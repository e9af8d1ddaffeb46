// SPDX-License-Identifier: BSD-3-Clause
// The cluster's cost on the main lcore per cycle (PERF-2): what one master and one
// follower spend in ClusterNode + ControlChannel (encode, segmentation, reassembly, decode,
// the view's upkeep) per cycle interval, at N nodes x 8 ports. Run from a build without
// sanitizers:
//   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DDMPD_SANITIZE=OFF
//         -DDMPD_BUILD_BENCHMARKS=ON
//   cmake --build build-rel --target cluster_benchmark
//   build-rel/tests/cluster/cluster_benchmark
//
// The harness, in memory and virtual time (STYLE.md 14):
//   - node 1: a real master (ClusterNode, priority 200) with its ControlChannel;
//   - node 2: a real follower;
//   - nodes 3..N: stand-ins, one ControlChannel each (so their frames carry their own
//     MACs and sequence numbers), that answer each time-sync a quarter of the reply delay
//     later exactly as ClusterNode::SendResponse does: the whole answer (a monitoring view
//     with every Table 3/4 field, as the daemon sends) on port 0 and a short "alive" on
//     ports 1..7. Their encoding is not timed: it is their lcore's work, not the master's.
//   Port p of every node is on LAN p (the paper's cluster); frames are delivered at once.
//   Each node's timers run on a TimerQueue of its own, so every callback is charged to the
//   node that runs it: the master's time-sync, heartbeat (EvaluateMembers, BuildHeartbeat,
//   encode, segmentation, per port) and Tick, and its Receive() of N-1 full and 7 (N-1)
//   short responses; the follower's Receive() of the time-sync and the heartbeat on each
//   of its 8 ports (reassembly, decode, and the view applied), its response and its Tick.
// One iteration is one cycle interval of virtual time; the iteration time is the thread
// CPU time (CLOCK_THREAD_CPUTIME_ID, read around each batch, not each frame) the node under
// test spent in it. Wall time is reported as a counter (wall_us) for comparison: on a
// shared machine it includes being descheduled.
// Counters per cycle: the node's bytes and frames sent and received (whole Ethernet frames
// as handed to the transport: no preamble, FCS or gap).
// Arguments: nodes, MTU, keyed (1: every frame signed and checked, PROTO-4), full (1: each
// node's view has every monitoring field the daemon sends, about 850 bytes a node with 8
// ports; 0: the simulator's lean view, about 250 bytes).
// A view over 64 segments is not sent (heartbeats_unsent; docs/cluster.md). 1000 x 8 needs
// MTU 9000 and the lean view; with the daemon's full view even 9000 is not enough (about 95
// segments). Those cases are listed and stop with an error, on purpose.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/frame_auth.h"
#include "common/protocol_samples.h"
#include "tests/support/memory_transport.h"
#include "userspace/cluster/cluster_node.h"
#include "userspace/control/control_channel.h"
#include "userspace/runtime/clock.h"
#include "userspace/runtime/timer_queue.h"

namespace dmpd {
namespace {

constexpr size_t kPorts = 8;
constexpr uint32_t kClusterId = 0xBE7C;
constexpr uint64_t kIntervalNs = 100'000'000;  // virtual: the CPU cost does not depend on it
constexpr uint16_t kMaster = 1;
constexpr uint16_t kFollower = 2;

MacAddress MacOf(uint16_t node, size_t port) {
  return {0x02, 0xbe, static_cast<uint8_t>(node >> 8), static_cast<uint8_t>(node),
          static_cast<uint8_t>(port), 0x00};
}

std::vector<MacAddress> MacsOf(uint16_t node) {
  std::vector<MacAddress> macs;
  for (size_t p = 0; p < kPorts; ++p) macs.push_back(MacOf(node, p));
  return macs;
}

// full: what the daemon's monitor reports (node_view_from_sample.cc fills every Table 3
// and 4 field it has; no pipes yet). Lean: the simulator's view (ClusterSim::ViewOf): a
// few node fields, and per port its MAC, speed and state only.
NodeView MonitoringView(uint16_t node, const NodeView& sample, bool full) {
  NodeView v = sample;
  v.info.member_state.reset();  // cluster verdicts are the master's
  v.info.last_seen_cycle.reset();
  v.pipes.clear();
  if (!full) {
    v = NodeView{};
    v.info.cores = 16;
    v.info.cpu_util_ppm = static_cast<uint32_t>((node * 7919) % 1'000'000);
    v.info.load1_milli = 500 + node % 1000;
    v.info.mem_bytes = uint64_t{64} << 30;
    v.info.mem_util_ppm = 250'000;
    v.info.health = kNodeHealthy;
    for (size_t p = 0; p < kPorts; ++p) {
      PortInfo& port = v.ports.emplace_back();
      port.id = static_cast<uint16_t>(p);
      port.speed_bps = 25'000'000'000ULL;
    }
  }
  v.info.id = node;
  for (size_t p = 0; p < v.ports.size(); ++p) {
    v.ports[p].mac = MacOf(node, p);
    v.ports[p].state = kPortUp;
  }
  return v;
}

struct CpuWall {
  double cpu_s = 0;
  double wall_s = 0;
};

// Charges the CPU and wall time of `fn` to `acc`.
template <typename Fn>
void Charge(CpuWall& acc, Fn&& fn) {
  timespec c0{}, c1{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  const auto w0 = std::chrono::steady_clock::now();
  fn();
  const auto w1 = std::chrono::steady_clock::now();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  acc.cpu_s += static_cast<double>(c1.tv_sec - c0.tv_sec) +
               static_cast<double>(c1.tv_nsec - c0.tv_nsec) * 1e-9;
  acc.wall_s += std::chrono::duration<double>(w1 - w0).count();
}

struct Traffic {
  uint64_t tx_frames = 0, tx_bytes = 0, rx_frames = 0, rx_bytes = 0;
};

// One real ClusterNode with its channel, transport and timers.
struct RealNode {
  RealNode(uint16_t node, uint8_t priority, ManualClock& clock, size_t mtu, const FrameAuth* auth,
           bool full)
      : transport(MacsOf(node)), timers(clock) {
    ControlChannelOptions co;
    co.cluster_id = kClusterId;
    co.node = node;
    co.mtu = mtu;
    co.auth = auth;
    co.epoch = 1'700'000'000'000'000 + node;
    channel = std::make_unique<ControlChannel>(co, transport);
    cluster::ClusterConfig config;
    config.node = node;
    config.priority = priority;
    config.interval_ns = kIntervalNs;
    cluster::LocalInputs local;
    const NodeView sample = SampleView(1, kPorts).nodes[0];
    local.view = [node, sample, full] { return MonitoringView(node, sample, full); };
    local.link_up = [](size_t) { return true; };
    cluster = std::make_unique<cluster::ClusterNode>(config, *channel, timers, std::move(local));
  }
  testing::MemoryTransport transport;
  TimerQueue timers;
  std::unique_ptr<ControlChannel> channel;
  std::unique_ptr<cluster::ClusterNode> cluster;
  CpuWall time;
  Traffic traffic;
};

// A node that only answers time-syncs, as a follower's SendResponse would.
struct StandIn {
  StandIn(uint16_t n, size_t mtu, const FrameAuth* auth, const NodeView& sample, bool full)
      : node(n), transport(MacsOf(n)), view(MonitoringView(n, sample, full)) {
    ControlChannelOptions co;
    co.cluster_id = kClusterId;
    co.node = n;
    co.mtu = mtu;
    co.auth = auth;
    co.epoch = 1'700'000'000'000'000 + n;
    channel = std::make_unique<ControlChannel>(co, transport);
  }
  void Respond(uint32_t term, uint32_t cycle, uint64_t wall_ns) {
    ++heartbeats;
    for (size_t port = 0; port < kPorts; ++port) {
      HeartbeatResponse r;
      r.term = term;
      r.cycle = cycle;
      r.node_time_ns = wall_ns;
      if (port == 0) {
        r.self = view;
        for (size_t p = 0; p < kPorts; ++p) {
          MasterObservation& o = r.observations.emplace_back();
          o.id = static_cast<uint16_t>(p);
          o.heartbeats_received = heartbeats;
        }
      } else {
        r.self.info.id = node;
      }
      (void)channel->Send(port, r, MacOf(kMaster, port));
    }
  }
  uint16_t node;
  testing::MemoryTransport transport;
  NodeView view;
  std::unique_ptr<ControlChannel> channel;
  uint64_t heartbeats = 0;
};

bool Addressed(std::span<const uint8_t> frame, const MacAddress& mac) {
  return frame.size() >= 6 && (std::equal(mac.begin(), mac.end(), frame.begin()) ||
                               std::equal(kBroadcastMac.begin(), kBroadcastMac.end(), frame.begin()));
}

class Harness {
 public:
  Harness(size_t nodes, size_t mtu, bool keyed, bool full) {
    if (keyed) {
      auto a = FrameAuth::Create(SampleClusterKey());
      if (a.ok()) auth_ = std::move(*a);
    }
    master_ = std::make_unique<RealNode>(kMaster, 200, clock_, mtu, auth_.get(), full);
    follower_ = std::make_unique<RealNode>(kFollower, 100, clock_, mtu, auth_.get(), full);
    const Heartbeat samples = SampleView(1, kPorts);
    for (size_t n = 3; n <= nodes; ++n) {
      stand_ins_.push_back(
          std::make_unique<StandIn>(static_cast<uint16_t>(n), mtu, auth_.get(), samples.nodes[0], full));
    }
  }

  // Runs virtual time up to `until_ns` (monotonic): each node's due timers, the
  // stand-ins' answers, and every frame delivered, until nothing is left at that time.
  void RunUntil(uint64_t until_ns) {
    for (;;) {
      std::optional<uint64_t> next = master_->timers.NextDueNs();
      auto earlier = [&next](std::optional<uint64_t> t) {
        if (t && (!next || *t < *next)) next = t;
      };
      earlier(follower_->timers.NextDueNs());
      earlier(answer_due_);
      if (!next || *next > until_ns) break;
      clock_.Set(*next);
      if (answer_due_ && *answer_due_ <= *next) {
        answer_due_.reset();
        const uint64_t wall = static_cast<uint64_t>(absl::ToUnixNanos(clock_.Wall()));
        for (auto& s : stand_ins_) s->Respond(answer_term_, answer_cycle_, wall);
      }
      const uint32_t cycle = master_->cluster->cycle();
      Charge(master_->time, [&] { master_->timers.RunDue(); });
      Charge(follower_->time, [&] { follower_->timers.RunDue(); });
      if (master_->cluster->role() == cluster::Role::kMaster &&
          master_->cluster->cycle() != cycle) {
        // A time-sync went out: the stand-ins answer after reply_delay / 4, as
        // ClusterNode::OnTimeSync schedules it (reply_delay: half the interval).
        answer_due_ = clock_.MonotonicNs() + kIntervalNs / 2 / 4;
        answer_term_ = master_->cluster->term();
        answer_cycle_ = master_->cluster->cycle();
      }
      Deliver();
    }
    clock_.Set(until_ns);
  }

  uint64_t now() const { return clock_.MonotonicNs(); }
  RealNode& master() { return *master_; }
  RealNode& follower() { return *follower_; }
  size_t nodes() const { return stand_ins_.size() + 2; }

  // Empty if the cluster is as it should be: node 1 master, node 2 following it, every
  // node an alive member in both views, every heartbeat sent.
  std::string Check() const {
    const auto& m = *master_->cluster;
    const auto& f = *follower_->cluster;
    if (m.role() != cluster::Role::kMaster) return "node 1 is not the master";
    if (m.stats().heartbeats_unsent != 0) {
      return "the view is over 64 segments at this MTU: the master sends no heartbeat";
    }
    if (f.role() != cluster::Role::kFollower || f.master() != kMaster) {
      return "node 2 does not follow node 1";
    }
    for (const auto* view : {&m.members(), &f.members()}) {
      if (view->size() != nodes()) return "a view misses members";
      for (const auto& [n, member] : *view) {
        if (member.state != cluster::MemberState::kAlive) return "a member is not alive";
      }
    }
    return "";
  }

 private:
  // Hands every frame sent so far to the nodes it is addressed to, until none is left
  // (an answer may make more).
  void Deliver() {
    for (bool more = true; more;) {
      more = false;
      const uint64_t now = clock_.MonotonicNs();
      // The master's frames reach the follower (the stand-ins need only the cycle), the
      // follower's the master; each batch charged to its receiver with one clock read.
      more |= Move(*master_, *follower_, kFollower, now);
      more |= Move(*follower_, *master_, kMaster, now);
      // The stand-ins' answers, as one batch per cycle (one clock read for thousands of
      // frames, so the reads do not weigh on the figure).
      std::vector<std::pair<size_t, std::vector<uint8_t>*>> batch;
      for (auto& s : stand_ins_) {
        auto& sent = s->transport.sent();
        for (size_t port = 0; port < sent.size(); ++port) {
          for (auto& f : sent[port]) batch.emplace_back(port, &f);
        }
      }
      if (!batch.empty()) {
        more = true;
        for (auto& [port, f] : batch) Count(master_->traffic, *f, false);
        Charge(master_->time, [&] {
          for (auto& [port, f] : batch) master_->channel->Receive(port, *f, now);
        });
        for (auto& s : stand_ins_) {
          for (auto& q : s->transport.sent()) q.clear();
        }
      }
    }
  }

  bool Move(RealNode& from, RealNode& to, uint16_t to_node, uint64_t now) {
    auto& sent = from.transport.sent();
    // Taken out first: receiving may make the receiver send, and the sender's queue must
    // not change under us.
    std::vector<std::vector<std::vector<uint8_t>>> frames(sent.size());
    bool any = false;
    for (size_t p = 0; p < sent.size(); ++p) {
      frames[p].swap(sent[p]);
      any |= !frames[p].empty();
    }
    std::vector<std::pair<size_t, const std::vector<uint8_t>*>> batch;
    for (size_t p = 0; p < frames.size(); ++p) {
      for (const auto& f : frames[p]) {
        Count(from.traffic, f, true);
        if (!Addressed(f, MacOf(to_node, p))) continue;
        Count(to.traffic, f, false);
        batch.emplace_back(p, &f);
      }
    }
    if (!batch.empty()) {
      Charge(to.time, [&] {
        for (const auto& [p, f] : batch) to.channel->Receive(p, *f, now);
      });
    }
    return any;
  }

  static void Count(Traffic& t, std::span<const uint8_t> f, bool tx) {
    (tx ? t.tx_frames : t.rx_frames) += 1;
    (tx ? t.tx_bytes : t.rx_bytes) += f.size();
  }

  ManualClock clock_;
  std::unique_ptr<FrameAuth> auth_;
  std::unique_ptr<RealNode> master_;
  std::unique_ptr<RealNode> follower_;
  std::vector<std::unique_ptr<StandIn>> stand_ins_;
  std::optional<uint64_t> answer_due_;
  uint32_t answer_term_ = 0;
  uint32_t answer_cycle_ = 0;
};

// Runs cycles of the harness and reports the cost of node `which` per cycle.
void RunCycles(benchmark::State& state, bool master) {
  const size_t nodes = static_cast<size_t>(state.range(0));
  const size_t mtu = static_cast<size_t>(state.range(1));
  const bool keyed = state.range(2) != 0;
  const bool full = state.range(3) != 0;
  Harness h(nodes, mtu, keyed, full);
  // Cold start: an election after master_failed_after intervals, then the stand-ins'
  // answers make everyone a member; a few more cycles for every view to settle.
  h.RunUntil(h.now() + 12 * kIntervalNs);
  if (std::string why = h.Check(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  RealNode& n = master ? h.master() : h.follower();
  const Traffic t0 = n.traffic;
  const uint64_t master_frames0 = h.master().traffic.tx_frames;
  const double wall0 = n.time.wall_s;
  for (auto _ : state) {
    const double cpu = n.time.cpu_s;
    h.RunUntil(h.now() + kIntervalNs);
    state.SetIterationTime(n.time.cpu_s - cpu);
  }
  if (std::string why = h.Check(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  const double cycles = static_cast<double>(state.iterations());
  state.counters["wall_us"] = (n.time.wall_s - wall0) / cycles * 1e6;
  state.counters["tx_B"] = static_cast<double>(n.traffic.tx_bytes - t0.tx_bytes) / cycles;
  state.counters["rx_B"] = static_cast<double>(n.traffic.rx_bytes - t0.rx_bytes) / cycles;
  state.counters["tx_frames"] = static_cast<double>(n.traffic.tx_frames - t0.tx_frames) / cycles;
  state.counters["rx_frames"] = static_cast<double>(n.traffic.rx_frames - t0.rx_frames) / cycles;
  // The heartbeat's frames per port (the segment limit is 64): the master's frames per port
  // less its time-sync.
  state.counters["hb_segments"] =
      static_cast<double>(h.master().traffic.tx_frames - master_frames0) / cycles / kPorts - 1;
}

void BM_MasterCycle(benchmark::State& state) { RunCycles(state, true); }
void BM_FollowerCycle(benchmark::State& state) { RunCycles(state, false); }

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"nodes", "mtu", "keyed", "full"});
  for (int keyed : {0, 1}) {
    b->Args({10, 1500, keyed, 1})->Args({64, 1500, keyed, 1})->Args({1000, 9000, keyed, 0});
  }
  // The daemon's full view: the largest size that fits 64 segments of 9000 bytes, and the
  // two that do not fit (errors, on purpose: docs/cluster.md's segment limit).
  b->Args({600, 9000, 0, 1})->Args({1000, 9000, 0, 1})->Args({1000, 1500, 0, 0});
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_MasterCycle)->Apply(Sizes);
BENCHMARK(BM_FollowerCycle)->Apply(Sizes);

}  // namespace
}  // namespace dmpd

BENCHMARK_MAIN();
