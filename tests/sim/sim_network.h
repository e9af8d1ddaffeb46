// SPDX-License-Identifier: BSD-3-Clause
// SimNetwork: the wire of a deterministic discrete-event simulation. One ManualClock and
// one TimerQueue carry the whole run: every node's modules put their timers on it, and
// every frame in flight is a timer too, so "advance to the earliest due timer, run it" is
// the only thing that moves the simulation (STYLE.md 14: modules take a TimerQueue and a
// transport and never know they are simulated).
//
// Model: N nodes with P ports each. Port p of every node is attached to LAN lan_of(p):
// either one LAN for all ports (the lab's single bridge) or one LAN per port index. A
// frame sent on a port reaches every other attached port of its LAN (broadcast) or the
// one port with the destination MAC (unicast), after base delay + seeded jitter, each
// receiver losing it independently with the link's loss probability. A receiver must be
// up, its port up and its node in the sender's partition group when the frame arrives.
//
// Determinism: every random draw comes from one std::mt19937_64 seeded by the options,
// drawn in a fixed order (receivers by node, then port); no wall clock, no unordered
// iteration. Same seed, same workload calls: same run.
#ifndef DMPD_TESTS_SIM_SIM_NETWORK_H_
#define DMPD_TESTS_SIM_SIM_NETWORK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "userspace/control/control_channel.h"
#include "userspace/control/frame_transport.h"
#include "userspace/runtime/clock.h"
#include "userspace/runtime/timer_queue.h"

namespace dmpd::sim {

inline constexpr uint64_t kUs = 1'000;
inline constexpr uint64_t kMs = 1'000'000;

struct SimNetworkOptions {
  size_t nodes = 2;
  size_t ports = 2;
  // true: every port on one LAN (the lab's single bridge; a node's ports hear each other).
  // false: LAN i joins port i of every node.
  bool single_lan = false;
  // Per receiver: base + a uniform draw in [0, jitter], in jitter_steps steps. Steps keep
  // the number of distinct arrival times (and so of timers) per frame small, which is what
  // makes a 1000-node broadcast affordable; a few steps of jitter still reorder frames.
  uint64_t base_delay_ns = 50 * kUs;
  uint64_t jitter_ns = 20 * kUs;
  uint32_t jitter_steps = 4;
  double loss = 0.0;  // global, per receiver and frame
  uint64_t seed = 1;
};

// Per node, both directions, whole Ethernet frames as handed to Transmit (no FCS).
struct NodeTraffic {
  uint64_t tx_frames = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_frames = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_refused = 0;  // Transmit on a down port or a crashed node
  uint64_t lost = 0;        // frames this node would have received but the link lost
};

class SimNetwork;

// One node's ports as a FrameTransport: what its ControlChannel sends through.
class SimPortTransport final : public FrameTransport {
 public:
  SimPortTransport(SimNetwork& net, size_t node) : net_(net), node_(node) {}
  size_t port_count() const override;
  MacAddress port_mac(size_t port) const override;
  bool Transmit(size_t port, std::span<const uint8_t> frame) override;

 private:
  SimNetwork& net_;
  size_t node_;
};

class SimNetwork {
 public:
  using StepHook = std::function<void()>;

  explicit SimNetwork(const SimNetworkOptions& options);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  const SimNetworkOptions& options() const { return options_; }
  ManualClock& clock() { return clock_; }
  TimerQueue& timers() { return timers_; }
  uint64_t now() const { return clock_.MonotonicNs(); }
  size_t nodes() const { return options_.nodes; }
  size_t ports() const { return options_.ports; }

  // Node index i (0-based) has node number i + 1 and MACs 02:5e:HH:LL:pp:00.
  static uint16_t NodeNumber(size_t i) { return static_cast<uint16_t>(i + 1); }
  static MacAddress Mac(size_t node, size_t port);
  SimPortTransport& transport(size_t node) { return *transports_[node]; }

  // Where node `node` hands received frames; null while it is down.
  void Attach(size_t node, ControlChannel* channel) { receivers_[node] = channel; }

  // --- faults -------------------------------------------------------------------------
  void SetNodeUp(size_t node, bool up) { node_up_[node] = up; }
  bool node_up(size_t node) const { return node_up_[node]; }
  void SetPortUp(size_t node, size_t port, bool up) { port_up_[node * options_.ports + port] = up; }
  bool port_up(size_t node, size_t port) const { return port_up_[node * options_.ports + port]; }
  // groups[i]: the partition group of node i; nodes hear each other only within a group.
  void Partition(std::vector<int> groups) { group_ = std::move(groups); }
  void Heal() { group_.assign(options_.nodes, 0); }
  int group(size_t node) const { return group_[node]; }
  bool Reachable(size_t a, size_t b) const { return group_[a] == group_[b]; }
  // Whether a and b can exchange frames now: both up, one partition group, and a LAN on
  // which each has a port up.
  bool CanTalk(size_t a, size_t b) const;
  void SetLoss(double loss) { options_.loss = loss; }
  // Loss on one node's port cable: applies to what it sends and what it receives there.
  void SetPortLoss(size_t node, size_t port, double loss) {
    port_loss_[node * options_.ports + port] = loss;
  }

  // --- running ------------------------------------------------------------------------
  // Advances the clock to each earliest due timer up to `until_ns` and runs what is due,
  // then calls `hook` (the invariant checks); ends with the clock at `until_ns`.
  void RunUntil(uint64_t until_ns, const StepHook& hook = {});
  uint64_t steps() const { return steps_; }

  // Sees every frame a node sends (`sent`) and every frame delivered to one, for traces.
  using Tap =
      std::function<void(bool sent, size_t node, size_t port, std::span<const uint8_t> frame)>;
  void set_tap(Tap tap) { tap_ = std::move(tap); }

  const NodeTraffic& traffic(size_t node) const { return traffic_[node]; }
  void ResetTraffic();
  uint64_t frames_in_flight() const { return in_flight_; }

 private:
  friend class SimPortTransport;
  struct Delivery {
    uint32_t node;
    uint32_t port;
  };
  bool Transmit(size_t node, size_t port, std::span<const uint8_t> frame);
  void Deliver(size_t from, const std::shared_ptr<const std::vector<uint8_t>>& frame,
               const std::vector<Delivery>& to);
  size_t LanOf(size_t port) const { return options_.single_lan ? 0 : port; }
  double LossOf(size_t node, size_t port) const { return port_loss_[node * options_.ports + port]; }

  SimNetworkOptions options_;
  ManualClock clock_;
  TimerQueue timers_{clock_};
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<SimPortTransport>> transports_;
  std::vector<ControlChannel*> receivers_;
  std::vector<bool> node_up_;
  std::vector<bool> port_up_;      // node * ports + port
  std::vector<double> port_loss_;  // node * ports + port
  std::vector<int> group_;
  std::vector<NodeTraffic> traffic_;
  std::vector<std::vector<Delivery>> by_step_;  // reused per Transmit: receivers per jitter step
  Tap tap_;
  uint64_t steps_ = 0;
  uint64_t in_flight_ = 0;
};

}  // namespace dmpd::sim

#endif  // DMPD_TESTS_SIM_SIM_NETWORK_H_
