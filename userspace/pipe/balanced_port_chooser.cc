// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/balanced_port_chooser.h"

#include <algorithm>

namespace dmpd::pipe {
namespace {

// Index of `port` in `up_ports`, or up_ports.size().
size_t IndexOfPort(std::span<const size_t> up_ports, size_t port) {
  return static_cast<size_t>(std::find(up_ports.begin(), up_ports.end(), port) - up_ports.begin());
}

size_t IndexOfMac(const Route& route, const MacAddress& mac) {
  for (size_t i = 0; i < route.count; ++i) {
    if (route.macs[i] == mac) return i;
  }
  return route.count;
}

}  // namespace

std::string_view PolicyName(BalancedPortChooser::Policy p) {
  return p == BalancedPortChooser::Policy::kBalanced ? "balanced" : "static";
}

size_t BalancedPortChooser::Choose(const lb::BalanceKey& key, size_t bytes, const Route& route,
                                   std::span<const size_t> up_ports, size_t copies,
                                   std::span<PortChoice> out) {
  if (up_ports.empty() || route.count == 0 || out.empty() || copies == 0) return 0;
  if (policy_ == Policy::kStaticHash) return hash_.Choose(key, bytes, route, up_ports, copies, out);
  const lb::Decision d = balancer_.Decide(key, bytes);
  // The balancer sees ports once a sampling period; the worker sees links every poll and
  // the route every 100 ms. A decision for a port gone since is not used.
  const size_t local = d.ok() ? IndexOfPort(up_ports, d.send_port) : up_ports.size();
  const size_t remote = d.ok() ? IndexOfMac(route, d.dst_mac) : route.count;
  if (local == up_ports.size() || remote == route.count) {
    fallbacks_.Add();
    return hash_.Choose(key, bytes, route, up_ports, copies, out);
  }
  // k copies on distinct local ports: the balancer's, then the next ones that are up.
  const size_t n = std::min({copies, up_ports.size(), out.size()});
  for (size_t i = 0; i < n; ++i) {
    out[i].port = up_ports[(local + i) % up_ports.size()];
    out[i].dst = route.macs[(remote + i) % route.count];
  }
  return n;
}

void BalancedPortChooser::Poll() {
  if (!report_requested_.load(std::memory_order_relaxed)) return;
  if (!report_requested_.exchange(false, std::memory_order_acquire)) return;
  // Allocates, once a sampling period, on the worker: the report walks the key state only
  // the worker may read.
  reports_.Publish(std::make_shared<const lb::BalancerReport>(balancer_.Report()));
}

}  // namespace dmpd::pipe
