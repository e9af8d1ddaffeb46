// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/neighbour_discovery.h"

#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "userspace/runtime/port_operand.h"

namespace dmpd {

using nlohmann::json;

NeighbourDiscovery::NeighbourDiscovery(const NeighbourDiscoveryOptions& options,
                                       ControlChannel& channel, TimerQueue& timers)
    : options_(options),
      channel_(channel),
      timers_(timers),
      table_(channel.port_count(), options.max_neighbours),
      hellos_received_(channel.port_count(), 0) {
  channel_.On(DMPD_KIND_HELLO, [this](const Message& m, const ReceivedOn& from) { OnHello(m, from); });
  // Expiry runs with the hellos: a neighbour is due one every interval.
  hello_timer_ = timers_.Every(options_.hello_interval_ns, 0, [this] {
    SendHellos();
    Expire();
  });
}

NeighbourDiscovery::~NeighbourDiscovery() {
  timers_.Cancel(hello_timer_);
  channel_.On(DMPD_KIND_HELLO, nullptr);
}

void NeighbourDiscovery::SendHellos() {
  const size_t ports = channel_.port_count();
  for (size_t port = 0; port < ports; ++port) {
    Hello hello;
    hello.port_mac = channel_.transport().port_mac(port);
    hello.port_count = static_cast<uint16_t>(ports);
    if (!options_.name.empty()) hello.name = options_.name;
    // Broadcast, so every port on the LAN hears it (CLU-3). A failed send is counted by
    // the channel; the next interval tries again.
    (void)channel_.Send(port, hello);
  }
}

void NeighbourDiscovery::OnHello(const Message& m, const ReceivedOn& from) {
  const FrameHeader& h = m.header;
  ++hellos_received_[from.port];
  const NeighbourTable::Recorded r = table_.RecordHello(from.port, h.sender_node, h.sender_port,
                                                        from.src_mac, h.sequence, timers_.NowNs());
  if (r == NeighbourTable::Recorded::kRefused) ++refused_;
}

void NeighbourDiscovery::Expire() {
  expired_ += table_.Expire(timers_.NowNs(),
                            uint64_t{options_.timeout_intervals} * options_.hello_interval_ns);
}

namespace {

json NeighbourJson(const Neighbour& n, uint64_t now_ns) {
  return {{"node", n.node},
          {"port", n.port},
          {"mac", FormatMac(n.mac)},
          {"hellos", n.hellos},
          {"last_sequence", n.last_sequence},
          {"last_seen_ms_ago", (now_ns - n.last_seen_ns) / 1'000'000}};
}

}  // namespace

void NeighbourDiscovery::Register(const std::vector<std::string>& port_names,
                                  CommandRegistry& commands) {
  commands.AddStatusSection([this](json& status) {
    status["neighbour_table"] = {{"entries", table_.size()},
                                 {"max", table_.max_entries()},
                                 {"refused", refused_},
                                 {"expired", expired_}};
    json& ports = status["ports"];
    const uint64_t now = timers_.NowNs();
    for (size_t i = 0; i < ports.size() && i < hellos_received_.size(); ++i) {
      json list = json::array();
      for (const Neighbour& n : table_.On(i, kNeighboursShown)) list.push_back(NeighbourJson(n, now));
      ports[i]["neighbours"] = std::move(list);
      ports[i]["neighbours_total"] = table_.CountOn(i);
      ports[i]["daemon"]["hellos_received"] = hellos_received_[i];
    }
  });
  commands.Register(
      "neighbours", "PORT [OFFSET]",
      absl::StrCat("the neighbours heard on a port, ", kNeighboursShown, " at a time from OFFSET"),
      [this, port_names](const CommandRegistry::Args& args) -> absl::StatusOr<json> {
        size_t offset = 0;
        if (args.empty() || args.size() > 2 ||
            (args.size() == 2 && !absl::SimpleAtoi(args[1], &offset))) {
          return absl::InvalidArgumentError(absl::StrCat("usage: neighbours PORT [OFFSET]; ",
                                                         PortOperandHelp(port_names)));
        }
        auto parsed = ParsePortOperand(args[0], port_names);
        if (!parsed.ok()) return parsed.status();
        const size_t port = *parsed;
        if (port >= hellos_received_.size()) return absl::InternalError("port beyond the channel's");
        const std::vector<Neighbour> all = table_.On(port, offset + kNeighboursShown);
        json list = json::array();
        const uint64_t now = timers_.NowNs();
        for (size_t i = offset; i < all.size(); ++i) list.push_back(NeighbourJson(all[i], now));
        return json{{"port", port},
                    {"offset", offset},
                    {"total", table_.CountOn(port)},
                    {"neighbours", list}};
      });
}

}  // namespace dmpd
