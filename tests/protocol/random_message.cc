// SPDX-License-Identifier: BSD-3-Clause
#include "tests/protocol/random_message.h"

#include <type_traits>

#include "common/protocol_limits.h"

namespace dmpd::testing {
namespace {

template <class T>
T Any(std::mt19937_64& rng) {
  if constexpr (std::is_same_v<T, MacAddress>) {
    MacAddress m;
    for (auto& b : m) b = static_cast<uint8_t>(rng());
    return m;
  } else {
    return static_cast<T>(rng());
  }
}

size_t Upto(size_t n, std::mt19937_64& rng) { return rng() % (n + 1); }

template <class G>
G RandomGroup(std::mt19937_64& rng) {
  G g;
  g.id = Any<uint16_t>(rng);
  G::ForEachField(g, [&](int, auto& field) {
    using T = typename std::remove_cvref_t<decltype(field)>::value_type;
    if (rng() & 1) field = Any<T>(rng);
  });
  return g;
}

NodeView RandomNode(std::mt19937_64& rng, size_t max_ports, size_t max_pipes) {
  NodeView n;
  n.info = RandomGroup<NodeInfo>(rng);
  n.ports.resize(Upto(max_ports, rng));
  for (auto& p : n.ports) p = RandomGroup<PortInfo>(rng);
  n.pipes.resize(Upto(max_pipes, rng));
  for (auto& p : n.pipes) p = RandomGroup<PipeInfo>(rng);
  return n;
}

template <class E>
E RandomElection(std::mt19937_64& rng) {
  E e;
  e.term = Any<uint32_t>(rng);
  e.node = Any<uint16_t>(rng);
  e.priority = Any<uint8_t>(rng);
  e.view_cycle = Any<uint32_t>(rng);
  return e;
}

}  // namespace

MessageBody RandomMessage(uint8_t kind, std::mt19937_64& rng) {
  switch (kind) {
    case DMPD_KIND_HELLO: {
      Hello h;
      if (rng() & 1) h.port_mac = Any<MacAddress>(rng);
      if (rng() & 1) h.port_count = Any<uint16_t>(rng);
      if (rng() & 1) h.term = Any<uint32_t>(rng);
      if (rng() & 1) {
        std::string name(1 + Upto(kMaxHelloName - 1, rng), '\0');
        for (char& c : name) c = static_cast<char>(rng());  // any bytes, not only text
        h.name = std::move(name);
      }
      return MessageBody(std::in_place_type<Hello>, std::move(h));
    }
    case DMPD_KIND_TIME_SYNC:
      return TimeSync{Any<uint32_t>(rng), Any<uint32_t>(rng), Any<uint64_t>(rng),
                      Any<uint32_t>(rng), Any<uint32_t>(rng)};
    case DMPD_KIND_HEARTBEAT: {
      Heartbeat hb;
      hb.term = Any<uint32_t>(rng);
      hb.cycle = Any<uint32_t>(rng);
      hb.master_time_ns = Any<uint64_t>(rng);
      hb.nodes.resize(Upto(12, rng));
      for (auto& n : hb.nodes) n = RandomNode(rng, 6, 6);
      return hb;
    }
    case DMPD_KIND_HEARTBEAT_RESPONSE: {
      HeartbeatResponse r;
      r.term = Any<uint32_t>(rng);
      r.cycle = Any<uint32_t>(rng);
      r.node_time_ns = Any<uint64_t>(rng);
      r.self = RandomNode(rng, 8, 8);
      r.observations.resize(Upto(8, rng));
      for (auto& o : r.observations) o = RandomGroup<MasterObservation>(rng);
      r.receipts.resize(Upto(4, rng));
      for (auto& o : r.receipts) o = RandomGroup<PeerReceipt>(rng);
      return r;
    }
    case DMPD_KIND_CANDIDACY:
      return RandomElection<Candidacy>(rng);
    case DMPD_KIND_VOTE:
      return RandomElection<Vote>(rng);
    case DMPD_KIND_ANNOUNCE:
      return RandomElection<Announce>(rng);
    case DMPD_KIND_LEAVE:
      return Leave{Any<uint8_t>(rng), Any<uint32_t>(rng)};
    default: {
      DataMessage d;
      d.header = {Any<uint16_t>(rng), Any<uint16_t>(rng), Any<uint16_t>(rng), Any<uint16_t>(rng),
                  Any<uint8_t>(rng),  Any<uint8_t>(rng),  Any<uint8_t>(rng),
                  Any<uint32_t>(rng)};
      d.payload.resize(Upto(3000, rng));
      for (auto& b : d.payload) b = static_cast<uint8_t>(rng());
      return d;
    }
  }
}

}  // namespace dmpd::testing
