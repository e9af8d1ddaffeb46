// SPDX-License-Identifier: BSD-3-Clause
// BalancedPortChooser: the load balancer of issue 10 (LB-1..6) as the pipe engine's port
// choice. Each message's first copy goes where lb::Balancer::Decide says (its sending port
// and the destination's least-loaded receiving port); further copies (PIPE-5) take the
// next distinct up ports and the destination's next ports. When the balancer has no
// answer the worker can use — no view of the destination yet (a neighbour known only from
// hellos), or a port that went down since the last sampling period — the message falls
// back to the static hash (HashPortChooser) and the fallback is counted.
//
// With Policy::kStaticHash every message takes the static hash (what bonding's
// balance-xor/l34 and LACP do); the balancer still receives loads and reports them, so
// the two policies can be compared with the same figures (PERF-3).
//
// Threads: Choose and Poll run on the worker that owns the balancer's decision side.
// RequestReport and LatestReport run on the main lcore: the worker builds the report on
// its next poll (Balancer::Report walks the worker-owned key state) and publishes it
// through a SnapshotSlot, so the main lcore never reads what the worker writes.
#ifndef DMPD_USERSPACE_PIPE_BALANCED_PORT_CHOOSER_H_
#define DMPD_USERSPACE_PIPE_BALANCED_PORT_CHOOSER_H_

#include <atomic>
#include <memory>
#include <span>
#include <string_view>

#include "userspace/lb/balancer.h"
#include "userspace/lb/snapshot_slot.h"
#include "userspace/pipe/port_chooser.h"
#include "userspace/runtime/relaxed_counter.h"

namespace dmpd::pipe {

class BalancedPortChooser final : public PortChooser {
 public:
  enum class Policy { kStaticHash, kBalanced };

  // `balancer` must outlive this chooser.
  BalancedPortChooser(lb::Balancer& balancer, Policy policy)
      : balancer_(balancer), policy_(policy) {}

  size_t Choose(const lb::BalanceKey& key, size_t bytes, const Route& route,
                std::span<const size_t> up_ports, size_t copies,
                std::span<PortChoice> out) override;
  void Poll() override;

  // Main lcore: asks the worker for a fresh report (after each balancer update).
  void RequestReport() { report_requested_.store(true, std::memory_order_release); }
  // Main lcore: the last report the worker published (nullptr before the first).
  std::shared_ptr<const lb::BalancerReport> LatestReport() const { return reports_.Load(); }

  Policy policy() const { return policy_; }
  // Messages that took the static hash although the policy is kBalanced.
  uint64_t fallbacks() const { return fallbacks_.Get(); }

 private:
  lb::Balancer& balancer_;
  const Policy policy_;
  HashPortChooser hash_;
  RelaxedCounter fallbacks_;
  std::atomic<bool> report_requested_{false};
  lb::SnapshotSlot<lb::BalancerReport> reports_;
};

std::string_view PolicyName(BalancedPortChooser::Policy p);

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_BALANCED_PORT_CHOOSER_H_
