// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/double_nat.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "userspace/vs/tcp_state.h"

namespace dmpd::vs {
namespace {

std::string Show(const Endpoint& e) {
  return absl::StrFormat("%d.%d.%d.%d:%d", e.addr >> 24, (e.addr >> 16) & 0xFF,
                         (e.addr >> 8) & 0xFF, e.addr & 0xFF, e.port);
}

std::string ProtoName(uint8_t proto) { return proto == kProtoTcp ? "tcp" : "udp"; }

}  // namespace

absl::StatusOr<std::unique_ptr<DoubleNat>> DoubleNat::Create(const Options& options) {
  if (options.max_services == 0 || options.max_services > 4096) {
    return absl::InvalidArgumentError("max_services: 1..4096");
  }
  absl::StatusOr<VdportAllocator> vdports =
      VdportAllocator::Create(options.vdport_first, options.vdport_last, options.max_backends);
  if (!vdports.ok()) return vdports.status();
  absl::StatusOr<ConnectionTable> table = ConnectionTable::Create(options.connections);
  if (!table.ok()) return table.status();
  return std::unique_ptr<DoubleNat>(new DoubleNat(options, *std::move(table), *std::move(vdports)));
}

DoubleNat::DoubleNat(const Options& options, ConnectionTable table, VdportAllocator vdports)
    : options_(options),
      table_(std::move(table)),
      vdports_(std::move(vdports)),
      backends_(options.max_backends),
      services_(options.max_services) {}

// --- configuration ------------------------------------------------------------------------

std::optional<uint32_t> DoubleNat::FindService(const Endpoint& vip, uint8_t proto) const {
  auto it = by_vip_port_.find(ServiceKey{vip.addr, vip.port, proto});
  if (it == by_vip_port_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> DoubleNat::FindMember(const Service& s, const Endpoint& backend) const {
  for (uint32_t i = 0; i < s.members.size(); ++i) {
    if (backends_[s.members[i]].config.endpoint == backend) return i;
  }
  return std::nullopt;
}

absl::StatusOr<uint32_t> DoubleNat::NewBackend(uint32_t service, const BackendConfig& config) {
  if (config.endpoint.addr == 0 || config.endpoint.port == 0) {
    return absl::InvalidArgumentError(absl::StrCat("backend ", Show(config.endpoint),
                                                   ": an address and a port are needed"));
  }
  for (uint32_t b = 0; b < backends_.size(); ++b) {
    if (backends_[b].used) continue;
    backends_[b] = Backend{true, false, true, service, config, 0};
    return b;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no room for another backend (max_backends ", backends_.size(),
                   ", draining ones included)"));
}

absl::Status DoubleNat::AddService(const ServiceConfig& config) {
  if (config.proto != kProtoTcp && config.proto != kProtoUdp) {
    return absl::InvalidArgumentError("a service is tcp or udp");
  }
  if (config.vip.addr == 0 || config.vip.port == 0) {
    return absl::InvalidArgumentError("a service needs a VIP and a port");
  }
  if (config.vip.port >= options_.vdport_first && config.vip.port <= options_.vdport_last) {
    // Its packets would be taken for replies: the direction is told by the port alone.
    return absl::InvalidArgumentError(absl::StrCat(
        "service port ", config.vip.port, " is inside the vdport range ", options_.vdport_first,
        "-", options_.vdport_last));
  }
  const std::string name = absl::StrCat(ProtoName(config.proto), " ", Show(config.vip));
  if (std::optional<uint32_t> s = FindService(config.vip, config.proto)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "service ", name, services_[*s].draining ? " is being removed (draining)" : " exists"));
  }
  absl::StatusOr<std::unique_ptr<Scheduler>> scheduler = CreateScheduler(config.scheduler);
  if (!scheduler.ok()) return scheduler.status();
  uint32_t index = 0;
  while (index < services_.size() && services_[index].used) ++index;
  if (index == services_.size()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("no room for another service (max_services ", services_.size(), ")"));
  }
  Service& s = services_[index];
  s = Service{};
  s.used = true;
  s.config = config;
  s.config.backends.clear();
  s.scheduler = *std::move(scheduler);
  for (const BackendConfig& b : config.backends) {
    if (FindMember(s, b.endpoint)) continue;  // listed twice: once is enough
    absl::StatusOr<uint32_t> g = NewBackend(index, b);
    if (!g.ok()) {  // undo: nothing half-made stays
      for (uint32_t m : s.members) backends_[m].used = false;
      s = Service{};
      return g.status();
    }
    s.members.push_back(*g);
  }
  s.loads.resize(s.members.size());
  by_vip_port_[ServiceKey{config.vip.addr, config.vip.port, config.proto}] = index;
  ++vips_[config.vip.addr];
  return absl::OkStatus();
}

absl::Status DoubleNat::RemoveService(const Endpoint& vip, uint8_t proto) {
  std::optional<uint32_t> index = FindService(vip, proto);
  if (!index || services_[*index].draining) {
    return absl::NotFoundError(absl::StrCat("no service ", ProtoName(proto), " ", Show(vip)));
  }
  Service& s = services_[*index];
  s.draining = true;
  for (uint32_t m : s.members) {
    backends_[m].draining = true;
    if (backends_[m].connections == 0) backends_[m].used = false;
  }
  s.members.clear();
  s.loads.clear();
  MaybeFree(*index);
  return absl::OkStatus();
}

absl::Status DoubleNat::AddBackend(const Endpoint& vip, uint8_t proto, const BackendConfig& backend) {
  std::optional<uint32_t> index = FindService(vip, proto);
  if (!index || services_[*index].draining) {
    return absl::NotFoundError(absl::StrCat("no service ", ProtoName(proto), " ", Show(vip)));
  }
  Service& s = services_[*index];
  if (FindMember(s, backend.endpoint)) {
    return absl::AlreadyExistsError(absl::StrCat("backend ", Show(backend.endpoint), " exists"));
  }
  absl::StatusOr<uint32_t> g = NewBackend(*index, backend);
  if (!g.ok()) return g.status();
  s.members.push_back(*g);
  s.loads.resize(s.members.size());
  return absl::OkStatus();
}

absl::Status DoubleNat::RemoveBackend(const Endpoint& vip, uint8_t proto, const Endpoint& backend) {
  std::optional<uint32_t> index = FindService(vip, proto);
  if (!index || services_[*index].draining) {
    return absl::NotFoundError(absl::StrCat("no service ", ProtoName(proto), " ", Show(vip)));
  }
  Service& s = services_[*index];
  std::optional<uint32_t> m = FindMember(s, backend);
  if (!m) return absl::NotFoundError(absl::StrCat("no backend ", Show(backend)));
  const uint32_t g = s.members[*m];
  s.members.erase(s.members.begin() + *m);
  s.loads.resize(s.members.size());
  backends_[g].draining = true;
  if (backends_[g].connections == 0) backends_[g].used = false;
  return absl::OkStatus();
}

absl::Status DoubleNat::SetBackendHealth(const Endpoint& vip, uint8_t proto,
                                         const Endpoint& backend, bool healthy) {
  std::optional<uint32_t> index = FindService(vip, proto);
  if (!index) return absl::NotFoundError(absl::StrCat("no service ", Show(vip)));
  std::optional<uint32_t> m = FindMember(services_[*index], backend);
  if (!m) return absl::NotFoundError(absl::StrCat("no backend ", Show(backend)));
  backends_[services_[*index].members[*m]].healthy = healthy;
  return absl::OkStatus();
}

void DoubleNat::MaybeFree(uint32_t index) {
  Service& s = services_[index];
  if (!s.used || !s.draining || s.connections > 0) return;
  by_vip_port_.erase(ServiceKey{s.config.vip.addr, s.config.vip.port, s.config.proto});
  auto v = vips_.find(s.config.vip.addr);
  if (v != vips_.end() && --v->second == 0) vips_.erase(v);
  s = Service{};
}

// --- data path ----------------------------------------------------------------------------

uint32_t DoubleNat::Open(const Ipv4L4View& v, uint32_t index, uint64_t now_ns) {
  Service& s = services_[index];
  if (s.draining) {
    ++counters_.service_draining;
    return ConnectionTable::kNone;
  }
  for (size_t i = 0; i < s.members.size(); ++i) {
    const Backend& b = backends_[s.members[i]];
    s.loads[i] = BackendLoad{b.config.weight, b.connections, b.healthy};
  }
  const std::optional<uint32_t> pick = s.scheduler->Pick(s.loads);
  if (!pick) {
    ++counters_.no_backend;
    return ConnectionTable::kNone;
  }
  const uint32_t g = s.members[*pick];
  const Backend& b = backends_[g];
  const std::optional<uint16_t> vdport = vdports_.Acquire(g);
  if (!vdport) {
    ++counters_.no_vdport;
    return ConnectionTable::kNone;
  }
  const FlowKey in{v.src_addr, v.dst_addr, v.src_port, v.dst_port, v.proto};
  const FlowKey out{b.config.endpoint.addr, v.dst_addr, b.config.endpoint.port, *vdport, v.proto};
  const uint32_t id = table_.Insert(in, out, index, g,
                                    v.proto == kProtoTcp ? ConnState::kSynRecv : ConnState::kUdp,
                                    now_ns);
  if (id == ConnectionTable::kNone) {
    vdports_.Release(g, *vdport);
    // Full, or the OUT key exists already: vdports are allocated per backend of a service,
    // so two services on one VIP with the same backend endpoint can draw the same vdport
    // (known limit, docs/vs.md), and the table refuses the second.
    ++(table_.size() == table_.capacity() ? counters_.table_full : counters_.vdport_conflict);
    return ConnectionTable::kNone;
  }
  ++backends_[g].connections;
  ++s.connections;
  ++counters_.connections_created;
  return id;
}

void DoubleNat::OnConnectionGone(const Connection& c) {
  vdports_.Release(c.backend, c.out.dst_port);
  Backend& b = backends_[c.backend];
  if (b.connections > 0) --b.connections;
  if (b.draining && b.connections == 0) b.used = false;
  Service& s = services_[c.service];
  if (s.connections > 0) --s.connections;
  MaybeFree(c.service);
}

bool DoubleNat::BackendTakesNewConnections(uint32_t backend) const {
  const Backend& b = backends_[backend];
  return b.healthy && !b.draining && b.config.weight > 0 && !services_[b.service].draining;
}

bool DoubleNat::IsOverForNewSyn(const Connection& c) const {
  const Backend& b = backends_[c.backend];
  return c.state == ConnState::kFinWait || c.state == ConnState::kClose || !b.healthy ||
         b.draining;
}

Verdict DoubleNat::Process(std::span<uint8_t> packet, uint64_t now_ns, ForwardTo* to) {
  Ipv4L4View v;
  if (const ParseError e = ParseIpv4L4(packet, &v); e != ParseError::kNone) {
    ++counters_.parse_errors[static_cast<size_t>(e)];
    return Verdict::kDrop;
  }
  // The direction from dip:dport, before the one lookup (seed 004, §4.3).
  auto service = by_vip_port_.find(ServiceKey{v.dst_addr, v.dst_port, v.proto});
  const bool in = service != by_vip_port_.end();
  if (!in && !(v.dst_port >= options_.vdport_first && v.dst_port <= options_.vdport_last &&
               vips_.contains(v.dst_addr))) {
    ++counters_.not_ours;
    return Verdict::kNotOurs;
  }
  const bool tcp = v.proto == kProtoTcp;
  const FlowKey key{v.src_addr, v.dst_addr, v.src_port, v.dst_port, v.proto};
  uint32_t id = in ? table_.FindIn(key) : table_.FindOut(key);
  if (id != ConnectionTable::kNone && !in && table_.retired(id)) {
    // A late reply of a connection whose client port is reused: it would land in the new
    // connection's 4-tuple.
    ++counters_.no_connection_out;
    return Verdict::kDrop;
  }
  if (id != ConnectionTable::kNone && in && tcp && OpensTcpConnection(v.tcp_flags) &&
      IsOverForNewSyn(table_.at(id))) {
    // The client reused its port (it keeps no TIME_WAIT when the server closed first).
    if (BackendTakesNewConnections(table_.at(id).backend)) {
      // The new connection takes its old one's backend and vdport (LVS's
      // conn_reuse_mode=0): that backend holds TIME_WAIT for vip:vdport -> bip:bport and
      // accepts a new SYN on it only with a later sequence number or timestamp, which a
      // SYN from the same client port has and one from any other client does not. (Given
      // to others, such pairs came round again within seconds at thousands of connections
      // a second, and each SYN refused waited 1 s for its retransmission.)
      table_.Touch(id, ConnState::kSynRecv, now_ns);
      ++counters_.port_reused;
      ++counters_.connections_created;
    } else {
      // Its backend is down or leaving: the SYN is scheduled anew (LVS's
      // conn_reuse_mode=1). The old entry gives up only its client key and keeps its
      // vdport toward that backend until it times out (at least fin_wait's 120 s), in
      // case the backend still holds TIME_WAIT for the pair; its late replies would land
      // in the new connection's 4-tuple and are dropped (above).
      table_.RetireClientKey(id);
      if (table_.at(id).state != ConnState::kClose) table_.Touch(id, ConnState::kFinWait, now_ns);
      ++counters_.rescheduled;
      id = ConnectionTable::kNone;
      service = by_vip_port_.find(ServiceKey{v.dst_addr, v.dst_port, v.proto});
      if (service == by_vip_port_.end()) {  // that was a removed service's last connection
        ++counters_.not_ours;
        return Verdict::kNotOurs;
      }
    }
  }
  if (id == ConnectionTable::kNone) {
    if (!in) {
      ++counters_.no_connection_out;
      return Verdict::kDrop;
    }
    if (tcp && !OpensTcpConnection(v.tcp_flags)) {
      ++counters_.no_connection_in;
      return Verdict::kDrop;
    }
    id = Open(v, service->second, now_ns);
    if (id == ConnectionTable::kNone) return Verdict::kDrop;
  }
  Connection& c = table_.at(id);
  const ConnState next = tcp ? NextTcpState(c.state, in, v.tcp_flags) : ConnState::kUdp;
  table_.Touch(id, next, now_ns);
  Translation t;
  if (in) {  // cip:cport -> vip:vport becomes vip:vdport -> bip:bport
    t = Translation{c.in.dst_addr, c.out.dst_port, c.out.src_addr, c.out.src_port};
    ++c.packets_in;
  } else {  // bip:bport -> vip:vdport becomes vip:vport -> cip:cport
    t = Translation{c.in.dst_addr, c.in.dst_port, c.in.src_addr, c.in.src_port};
    ++c.packets_out;
  }
  if (!RewriteIpv4L4(packet, v, t)) {
    ++counters_.ttl_expired;
    return Verdict::kDrop;
  }
  to->next_hop = t.dst_addr;
  ++(in ? counters_.forwarded_in : counters_.forwarded_out);
  return Verdict::kForward;
}

size_t DoubleNat::Expire(uint64_t now_ns, size_t limit) {
  const size_t n = table_.Expire(now_ns, [this](const Connection& c) { OnConnectionGone(c); }, limit);
  counters_.expired += n;
  return n;
}

// --- operators ----------------------------------------------------------------------------

std::vector<ServiceReport> DoubleNat::Report() const {
  std::vector<ServiceReport> out;
  for (uint32_t i = 0; i < services_.size(); ++i) {
    const Service& s = services_[i];
    if (!s.used) continue;
    ServiceReport r;
    r.config = s.config;
    r.draining = s.draining;
    r.connections = s.connections;
    auto add = [&](const Backend& b) {
      r.backends.push_back(BackendReport{b.config, b.healthy, b.draining, b.connections});
    };
    for (uint32_t m : s.members) {
      add(backends_[m]);
      r.config.backends.push_back(backends_[m].config);
    }
    for (const Backend& b : backends_) {
      if (b.used && b.draining && b.service == i) add(b);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dmpd::vs
