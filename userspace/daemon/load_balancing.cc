// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/load_balancing.h"

#include "absl/strings/str_cat.h"
#include "userspace/daemon/log.h"
#include "userspace/monitor/prometheus_text_writer.h"

namespace dmpd {
namespace {

using nlohmann::json;
using Policy = pipe::BalancedPortChooser::Policy;

json PortsJson(const lb::PortsReport& r) {
  json ports = json::array();
  for (const lb::PortReport& p : r.ports) {
    ports.push_back({{"port", p.port_id},
                     {"mac", FormatMac(p.mac)},
                     {"available", p.available},
                     {"overloaded", p.overloaded},
                     {"load", p.load}});
  }
  return {{"ports", std::move(ports)},
          {"mean_load", r.summary.mean},
          {"stddev", r.summary.stddev},
          {"wl", r.summary.wl}};
}

json KeyJson(const lb::ActiveKeyReport& k) {
  auto port = [](const std::optional<uint16_t>& p) { return p ? json(*p) : json(nullptr); };
  return {{"src_node", k.key.src_node},       {"dst_node", k.key.dst_node},
          {"src_pipe", k.key.src_pipe},       {"dst_pipe", k.key.dst_pipe},
          {"type", k.key.type},               {"send_port", port(k.send_port)},
          {"receive_port", port(k.receive_port)},
          {"send_held_periods", k.send_held_periods},
          {"receive_held_periods", k.receive_held_periods},
          {"bits_per_second", k.bits_per_second}};
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoadBalancing>> LoadBalancing::Create(const DaemonConfig& config) {
  lb::BalancerConfig bc;
  bc.criterion.criterion = config.lb_criterion == "paper" ? lb::BalanceCriterion::kPaperBalanceDegree
                                                          : lb::BalanceCriterion::kLoadGapAboveMean;
  bc.criterion.wl_threshold = config.lb_wl_threshold;
  auto balancer = lb::Balancer::Create(std::move(bc));
  if (!balancer.ok()) return balancer.status();
  const Policy policy = config.lb_policy == "static" ? Policy::kStaticHash : Policy::kBalanced;
  return std::unique_ptr<LoadBalancing>(new LoadBalancing(*std::move(balancer), policy));
}

LoadBalancing::LoadBalancing(std::unique_ptr<lb::Balancer> balancer, Policy policy)
    : balancer_(std::move(balancer)),
      chooser_(std::make_unique<pipe::BalancedPortChooser>(*balancer_, policy)) {}

void LoadBalancing::Update(std::span<const lb::PortInput> local,
                           std::span<const NodeView> destinations, absl::Time now) {
  if (absl::Status s = balancer_->Update(local, destinations, now); !s.ok()) {
    // The previous tables stay in force; say so once in a while, not every period.
    if (update_errors_++ % 100 == 0) {
      Log(LogLevel::kWarning, "lb", absl::StrCat("balancer update refused: ", s.message()));
    }
  }
  chooser_->RequestReport();
}

json LoadBalancing::Report() const {
  json out{{"policy", std::string(pipe::PolicyName(chooser_->policy()))},
           {"fallbacks", chooser_->fallbacks()},
           {"update_errors", update_errors_}};
  std::shared_ptr<const lb::BalancerReport> r = chooser_->LatestReport();
  if (r == nullptr) {
    out["period"] = 0;
    return out;
  }
  out["period"] = r->period;
  out["built_at"] = absl::FormatTime(r->built_at);
  out["criterion"] = {{"name", std::string(lb::BalanceCriterionName(r->criterion.criterion))},
                      {"wl_threshold", r->criterion.wl_threshold},
                      {"expected_load_mu", r->criterion.expected_load_mu},
                      {"gap_ratio", r->criterion.gap_ratio},
                      {"gap_absolute", r->criterion.gap_absolute}};
  out["local"] = PortsJson(r->local);
  json dests = json::array();
  for (const lb::DestinationReport& d : r->destinations) {
    json j = PortsJson(d.ports);
    j["node"] = d.node;
    dests.push_back(std::move(j));
  }
  out["destinations"] = std::move(dests);
  json counters = json::object();
  r->counters.ForEach([&](const char* name, const char*, uint64_t v) { counters[name] = v; });
  out["counters"] = std::move(counters);
  out["hash_cache_hits"] = r->hash_cache_hits;
  out["hash_computations"] = r->hash_computations;
  out["active_keys_total"] = r->active_keys_total;
  json keys = json::array();
  for (const lb::ActiveKeyReport& k : r->active_keys) keys.push_back(KeyJson(k));
  out["active_keys"] = std::move(keys);
  return out;
}

void LoadBalancing::Register(CommandRegistry& commands) {
  commands.Register("lb", "",
                    "the load balancer: port loads, balance degree, re-picks, ports per key",
                    [this](const CommandRegistry::Args&) -> absl::StatusOr<json> { return Report(); });
  commands.AddStatusSection([this](json& s) {
    std::shared_ptr<const lb::BalancerReport> r = chooser_->LatestReport();
    s["lb"] = {{"policy", std::string(pipe::PolicyName(chooser_->policy()))},
               {"period", r ? r->period : 0},
               {"wl", r ? r->local.summary.wl : 0.0},
               {"repicks", r ? r->counters.repicks : 0},
               {"fallbacks", chooser_->fallbacks()}};
  });
}

std::string LoadBalancing::RenderMetrics(const std::string& node_name) const {
  std::shared_ptr<const lb::BalancerReport> r = chooser_->LatestReport();
  if (r == nullptr) return {};
  monitor::PrometheusTextWriter w;
  const std::pair<std::string_view, std::string> node{"node", node_name};
  w.Family("dmpd_lb_port_load", "gauge",
           "smoothed port load L_i (eqs. 5-6) the balancer used, 1 = a full link");
  for (const lb::PortReport& p : r->local.ports) {
    w.Sample({node, {"peer", "local"}, {"port", std::to_string(p.port_id)}}, p.load);
  }
  for (const lb::DestinationReport& d : r->destinations) {
    for (const lb::PortReport& p : d.ports.ports) {
      w.Sample({node, {"peer", std::to_string(d.node)}, {"port", std::to_string(p.port_id)}},
               p.load);
    }
  }
  w.Family("dmpd_lb_port_overloaded", "gauge", "1 when the criterion calls the local port overloaded");
  for (const lb::PortReport& p : r->local.ports) {
    w.Sample({node, {"port", std::to_string(p.port_id)}}, uint64_t{p.overloaded});
  }
  w.Family("dmpd_lb_balance_degree", "gauge", "WL of eq. (8) over the local ports");
  w.Sample({node}, r->local.summary.wl);
  w.Family("dmpd_lb_mean_load", "gauge", "mean load of the local ports (eq. 7)");
  w.Sample({node}, r->local.summary.mean);
  w.Family("dmpd_lb_active_keys", "gauge", "keys that sent this period or the one before");
  w.Sample({node}, uint64_t{r->active_keys_total});
  r->counters.ForEach([&](const char* name, const char* doc, uint64_t v) {
    w.Family(absl::StrCat("dmpd_lb_", name, "_total"), "counter", doc);
    w.Sample({node}, v);
  });
  w.Family("dmpd_lb_fallbacks_total", "counter",
           "messages that took the static hash: no view of the destination, or a stale port");
  w.Sample({node}, chooser_->fallbacks());
  return w.Take();
}

}  // namespace dmpd
