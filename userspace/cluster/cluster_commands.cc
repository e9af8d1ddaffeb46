// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/cluster/cluster_commands.h"

#include "absl/strings/str_join.h"
#include "common/leave.h"
#include "common/node_info.h"
#include "common/port_info.h"
#include "common/mac_address.h"

namespace dmpd::cluster {

using nlohmann::json;

namespace {

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

std::string_view PortStateName(std::optional<uint8_t> s) {
  if (!s) return "unknown";
  switch (*s) {
    case kPortDown: return "down";
    case kPortUp: return "up";
    case kPortUnheard: return "unheard";
  }
  return "unknown";
}

json MemberJson(const Member& m, uint64_t now_ns) {
  json info = json::object();
#define DMPD_INFO_JSON(bit, name, type, doc) info[#name] = Opt(m.view.info.name);
  DMPD_NODE_INFO_FIELDS(DMPD_INFO_JSON)
#undef DMPD_INFO_JSON
  json ports = json::array();
  for (const PortInfo& p : m.view.ports) {
    const std::optional<uint8_t> state = VouchedPortState(m, p);
    json port = {{"port", p.id},
                 {"up", state == kPortUp},
                 {"mac", p.mac ? json(FormatMac(*p.mac)) : json(nullptr)}};
#define DMPD_PORT_JSON(bit, name, type, doc) \
  if constexpr (!std::is_same_v<type, MacAddress>) port[#name] = Opt(p.name);
    DMPD_PORT_INFO_FIELDS(DMPD_PORT_JSON)
#undef DMPD_PORT_JSON
    port["state"] = PortStateName(state);  // by name, over the field's number
    ports.push_back(std::move(port));
  }
  json j = {{"node", m.node},
            {"state", MemberStateName(m.state)},
            {"age_ms", (now_ns - std::min(now_ns, m.updated_ns)) / 1'000'000},
            {"last_cycle", m.last_cycle},
            {"info", std::move(info)},
            {"ports", std::move(ports)}};
  if (m.state == MemberState::kLeft) j["reason"] = LeaveReasonName(m.left_reason);
  return j;
}

}  // namespace

json ClusterView(const ClusterNode& c) {
  const uint64_t now = c.now_ns();
  json members = json::array();
  for (const auto& [node, m] : c.members()) members.push_back(MemberJson(m, now));
  json j = {{"node", c.config().node},
            {"master", c.master() ? json(*c.master()) : json(nullptr)},
            {"term", c.term()},
            {"cycle", c.cycle()},
            {"role", RoleName(c.role())},
            {"priority", c.config().priority},
            {"interval_ms", c.config().interval_ns / 1'000'000},
            {"number_in_conflict", c.number_in_conflict()},
            {"members", std::move(members)}};
  if (c.role() == Role::kLeft) {
    j["left_reason"] = LeaveReasonName(c.left_reason());
    if (!c.left_note().empty()) j["left_note"] = c.left_note();
  }
  return j;
}

void RegisterClusterCommands(ClusterNode& cluster, CommandRegistry& commands) {
  using Args = CommandRegistry::Args;
  commands.Register("cluster", "", "master, term and every member's state and monitoring data",
                    [&cluster](const Args&) -> absl::StatusOr<json> { return ClusterView(cluster); });
  commands.Register(
      "leave", "[--reason TEXT]", "leave the cluster by hand (maintenance) until `join`",
      [&cluster](const Args& args) -> absl::StatusOr<json> {
        std::string note;
        if (!args.empty()) {
          if (args[0] != "--reason" || args.size() < 2) {
            return absl::InvalidArgumentError("usage: leave [--reason TEXT]");
          }
          note = absl::StrJoin(args.begin() + 1, args.end(), " ");
        }
        cluster.Leave(kOperator, note);
        return json{{"role", RoleName(cluster.role())}, {"reason", "operator"}, {"note", note}};
      });
  commands.Register("join", "", "rejoin after `leave`",
                    [&cluster](const Args&) -> absl::StatusOr<json> {
                      cluster.Join();
                      return json{{"role", RoleName(cluster.role())}};
                    });
  commands.AddStatusSection([&cluster](json& s) {
    s["cluster"] = {{"role", RoleName(cluster.role())},
                    {"master", cluster.master() ? json(*cluster.master()) : json(nullptr)},
                    {"term", cluster.term()},
                    {"cycle", cluster.cycle()},
                    {"members", cluster.members().size()},
                    {"number_in_conflict", cluster.number_in_conflict()}};
  });
}

}  // namespace dmpd::cluster
