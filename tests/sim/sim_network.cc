// SPDX-License-Identifier: BSD-3-Clause
#include "tests/sim/sim_network.h"

#include <algorithm>
#include <utility>

namespace dmpd::sim {
namespace {

// A uniform draw in [0, 1) from the top 53 bits: the same on every standard library,
// unlike std::uniform_real_distribution.
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

size_t SimPortTransport::port_count() const { return net_.ports(); }
MacAddress SimPortTransport::port_mac(size_t port) const { return SimNetwork::Mac(node_, port); }
bool SimPortTransport::Transmit(size_t port, std::span<const uint8_t> frame) {
  return net_.Transmit(node_, port, frame);
}

SimNetwork::SimNetwork(const SimNetworkOptions& options)
    : options_(options),
      rng_(options.seed),
      receivers_(options.nodes, nullptr),
      node_up_(options.nodes, true),
      port_up_(options.nodes * options.ports, true),
      port_loss_(options.nodes * options.ports, 0.0),
      group_(options.nodes, 0),
      traffic_(options.nodes),
      by_step_(size_t{options.jitter_steps} + 1) {
  transports_.reserve(options.nodes);
  for (size_t i = 0; i < options.nodes; ++i) {
    transports_.push_back(std::make_unique<SimPortTransport>(*this, i));
  }
}

// Frames still in flight hold no pointers into the network beyond `this`; the queue dies
// with us, so they are simply never run.
SimNetwork::~SimNetwork() = default;

MacAddress SimNetwork::Mac(size_t node, size_t port) {
  const uint16_t n = NodeNumber(node);
  // 02: locally administered, unicast.
  return {
      0x02, 0x5e, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n), static_cast<uint8_t>(port),
      0x00};
}

bool SimNetwork::CanTalk(size_t a, size_t b) const {
  if (!node_up_[a] || !node_up_[b] || !Reachable(a, b)) return false;
  for (size_t p = 0; p < options_.ports; ++p) {
    if (!port_up(a, p)) continue;
    for (size_t q = 0; q < options_.ports; ++q) {
      if (port_up(b, q) && LanOf(p) == LanOf(q) && (a != b || p != q)) return true;
    }
  }
  return false;
}

void SimNetwork::ResetTraffic() {
  for (NodeTraffic& t : traffic_) t = NodeTraffic{};
}

bool SimNetwork::Transmit(size_t node, size_t port, std::span<const uint8_t> frame) {
  NodeTraffic& tx = traffic_[node];
  if (!node_up_[node] || port >= options_.ports || !port_up(node, port) || frame.size() < 14) {
    ++tx.tx_refused;
    return false;  // the channel counts it as send_failed, as a down link would
  }
  ++tx.tx_frames;
  tx.tx_bytes += frame.size();
  if (tap_) tap_(true, node, port, frame);

  MacAddress dst;
  std::copy_n(frame.begin(), 6, dst.begin());
  const bool broadcast = (dst[0] & 1) != 0;  // group bit: broadcast or multicast
  const size_t lan = LanOf(port);
  const double send_loss = LossOf(node, port);
  for (auto& v : by_step_) v.clear();

  auto consider = [&](size_t to, size_t to_port) {
    if (to == node && to_port == port) return;
    // Decided at send time so that the draws happen in one fixed order.
    const double keep = (1.0 - options_.loss) * (1.0 - send_loss) * (1.0 - LossOf(to, to_port));
    if (keep < 1.0 && Uniform(rng_) >= keep) {
      ++traffic_[to].lost;
      return;
    }
    const size_t step = options_.jitter_ns > 0 && options_.jitter_steps > 0
                            ? static_cast<size_t>(rng_() % (options_.jitter_steps + 1))
                            : 0;
    by_step_[step].push_back({static_cast<uint32_t>(to), static_cast<uint32_t>(to_port)});
  };

  if (broadcast) {
    for (size_t to = 0; to < options_.nodes; ++to) {
      for (size_t p = 0; p < options_.ports; ++p) {
        if (LanOf(p) == lan) consider(to, p);
      }
    }
  } else if (dst[0] == 0x02 && dst[1] == 0x5e && dst[5] == 0) {
    const size_t to = ((size_t{dst[2]} << 8) | dst[3]) - 1;
    const size_t to_port = dst[4];
    if (to < options_.nodes && to_port < options_.ports && LanOf(to_port) == lan) {
      consider(to, to_port);
    }
  }  // an unknown unicast MAC: nobody has it, the bridge floods nowhere we model

  auto shared = std::make_shared<const std::vector<uint8_t>>(frame.begin(), frame.end());
  for (size_t step = 0; step < by_step_.size(); ++step) {
    if (by_step_[step].empty()) continue;
    const uint64_t delay =
        options_.base_delay_ns +
        (options_.jitter_steps > 0 ? options_.jitter_ns * step / options_.jitter_steps : 0);
    ++in_flight_;
    timers_.After(delay, [this, node, shared, to = std::move(by_step_[step])] {
      --in_flight_;
      Deliver(node, shared, to);
    });
    by_step_[step] = {};
  }
  return true;
}

void SimNetwork::Deliver(size_t from, const std::shared_ptr<const std::vector<uint8_t>>& frame,
                         const std::vector<Delivery>& to) {
  const uint64_t now_ns = now();
  for (const Delivery& d : to) {
    // The state when the frame arrives decides: a port that went down or a partition
    // made while the frame was in flight stops it.
    if (!node_up_[d.node] || !port_up(d.node, d.port) || !Reachable(from, d.node)) continue;
    ControlChannel* rx = receivers_[d.node];
    if (rx == nullptr) continue;
    NodeTraffic& t = traffic_[d.node];
    ++t.rx_frames;
    t.rx_bytes += frame->size();
    if (tap_) tap_(false, d.node, d.port, *frame);
    rx->Receive(d.port, *frame, now_ns);
  }
}

void SimNetwork::RunUntil(uint64_t until_ns, const StepHook& hook) {
  for (;;) {
    const std::optional<uint64_t> due = timers_.NextDueNs();
    if (!due || *due > until_ns) break;
    if (*due > clock_.MonotonicNs()) clock_.Set(*due);
    timers_.RunDue();
    ++steps_;
    if (hook) hook();
  }
  if (until_ns > clock_.MonotonicNs()) clock_.Set(until_ns);
}

}  // namespace dmpd::sim
