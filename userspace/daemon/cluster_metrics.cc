// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/cluster_metrics.h"

#include "common/port_info.h"
#include "userspace/monitor/prometheus_text_writer.h"

namespace dmpd {

using cluster::MemberState;

std::string RenderClusterMetrics(const cluster::ClusterNode& c, const std::string& node_name) {
  monitor::PrometheusTextWriter w;
  const std::pair<std::string_view, std::string> node{"node", node_name};
  w.Family("dmpd_cluster_master", "gauge",
           "the master's node number as this node sees it; absent while there is none");
  if (c.master()) w.Sample({node}, uint64_t{*c.master()});
  w.Family("dmpd_cluster_is_master", "gauge", "1 when this node is the master");
  w.Sample({node}, uint64_t{c.role() == cluster::Role::kMaster});
  w.Family("dmpd_cluster_term", "gauge", "the election term this node knows");
  w.Sample({node}, uint64_t{c.term()});
  w.Family("dmpd_cluster_cycle", "gauge", "the last heartbeat cycle this node saw");
  w.Sample({node}, uint64_t{c.cycle()});
  w.Family("dmpd_cluster_node_number_conflict", "gauge",
           "1 when another daemon answers with this node's number (CLU-7)");
  w.Sample({node}, uint64_t{c.number_in_conflict()});
  w.Family("dmpd_cluster_members", "gauge", "members in this node's view");
  w.Sample({node}, uint64_t{c.members().size()});
  w.Family("dmpd_cluster_member_state", "gauge",
           "1 for the state each member is in (alive, suspect, failed, left, conflict)");
  for (const auto& [id, m] : c.members()) {
    for (MemberState s : {MemberState::kAlive, MemberState::kSuspect, MemberState::kFailed,
                          MemberState::kLeft, MemberState::kConflict}) {
      w.Sample({node, {"member", std::to_string(id)}, {"state", std::string(MemberStateName(s))}},
               uint64_t{m.state == s});
    }
  }
  w.Family("dmpd_cluster_member_port_up", "gauge",
           "1 when a member's port hears the cluster, as the master's view says (0 for a "
           "failed or left member's)");
  for (const auto& [id, m] : c.members()) {
    for (const PortInfo& p : m.view.ports) {
      w.Sample({node, {"member", std::to_string(id)}, {"port", std::to_string(p.id)}},
               uint64_t{cluster::VouchedPortState(m, p) == kPortUp});
    }
  }
  const cluster::ClusterStats& st = c.stats();
  w.Family("dmpd_cluster_elections_total", "counter", "elections this node proposed");
  w.Sample({node}, st.elections_started);
  w.Family("dmpd_cluster_became_master_total", "counter", "times this node became master");
  w.Sample({node}, st.became_master);
  return w.Take();
}

}  // namespace dmpd
