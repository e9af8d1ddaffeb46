// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/virtual_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "userspace/daemon/log.h"
#include "userspace/monitor/prometheus_text_writer.h"
#include "userspace/xdp/interface_facts.h"

namespace dmpd {

using nlohmann::json;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kResolveTickNs = 10 * kMs;
constexpr uint64_t kRefreshNs = 1000 * kMs;
constexpr uint64_t kSolicitForNs = 3000 * kMs;  // then the address is dropped (frames expire)
constexpr uint64_t kNextHopIdleNs = 60'000 * kMs;  // a next hop no frame used is forgotten
constexpr const char* kReservedPortsPath = "/proc/sys/net/ipv4/ip_local_reserved_ports";
constexpr const char* kLocalPortRangePath = "/proc/sys/net/ipv4/ip_local_port_range";

// What the worker holds, copied out in one task.
struct WorkerView {
  std::vector<vs::ServiceReport> services;
  vs::DoubleNatCounters nat;
  vs::FrameCounters frame;
  VsHoldCounters hold;
  size_t held_now = 0;
  uint32_t connections = 0, capacity = 0;
  uint64_t table_refused_full = 0;
  uint32_t vdports = 0, vdports_in_use = 0;
  uint64_t vdport_pairs_in_use = 0, vdport_refused = 0;
  std::vector<std::pair<uint32_t, vs::NextHopEntry>> next_hops;
};

WorkerView ViewOf(VsWorker& w) {
  const vs::FrameForwarder& f = w.forwarder();
  WorkerView v;
  v.services = f.nat().Report();
  v.nat = f.nat().counters();
  v.frame = f.counters();
  v.hold = w.hold_counters();
  v.held_now = w.held_now();
  v.connections = f.nat().connections().size();
  v.capacity = f.nat().connections().capacity();
  v.table_refused_full = f.nat().connections().refused_full();
  v.vdports = f.nat().vdports().port_count();
  v.vdports_in_use = f.nat().vdports().ports_in_use();
  v.vdport_pairs_in_use = f.nat().vdports().in_use();
  v.vdport_refused = f.nat().vdports().refused();
  v.next_hops = f.NextHops();
  return v;
}

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(s.str()));
}

bool WriteFile(const char* path, const std::string& text) {
  std::ofstream out(path);
  out << text << "\n";
  out.close();
  return static_cast<bool>(out);
}

// `checks`: whether this daemon health-checks backends at all (TCP ones only).
json ServiceJson(const vs::ServiceReport& s, bool checks) {
  json backends = json::array();
  for (const vs::BackendReport& b : s.backends) {
    backends.push_back({{"address", vs::FormatEndpoint(b.config.endpoint)},
                        {"weight", b.config.weight},
                        {"healthy", b.healthy},
                        {"checked", checks && s.config.proto == vs::kProtoTcp},
                        {"draining", b.draining},
                        {"connections", b.connections}});
  }
  return {{"service", vs::FormatServiceId({s.config.vip, s.config.proto})},
          {"vip", vs::FormatAddress(s.config.vip.addr)},
          {"vport", s.config.vip.port},
          {"proto", vs::ProtoName(s.config.proto)},
          {"scheduler", s.config.scheduler},
          {"draining", s.draining},
          {"connections", s.connections},
          {"backends", std::move(backends)}};
}

}  // namespace

struct VirtualService::Check {
  UniqueFd fd;
  vs::Endpoint backend;
  TimerQueue::TimerId timeout = 0;
};

absl::StatusOr<std::unique_ptr<VirtualService>> VirtualService::Start(const DaemonConfig& config,
                                                                      EventLoop& loop,
                                                                      DataPlane& dp,
                                                                      CommandRegistry& commands) {
  std::unique_ptr<VirtualService> v(new VirtualService(config, loop, dp));
  for (size_t i = 0; i < dp.port_count(); ++i) {
    absl::StatusOr<VsSteerMaps> maps = VsSteerMaps::Open(dp.port(i).program());
    if (!maps.ok()) {
      return absl::Status(
          maps.status().code(),
          absl::StrCat(dp.port(i).ifname(), ": virtual service maps: ", maps.status().message(),
                       " (the dmpd_steer object is older than this daemon: rebuild and install "
                       "both)"));
    }
    v->steer_.push_back(*std::move(maps));
  }
  absl::StatusOr<KernelNextHops> kernel = KernelNextHops::Open();
  if (!kernel.ok()) return kernel.status();
  v->kernel_.emplace(*std::move(kernel));
  if (absl::Status s = v->ApplyConfig(); !s.ok()) return s;

  VirtualService* self = v.get();
  TimerQueue& timers = loop.timers();
  v->timers_.push_back(
      timers.Every(kResolveTickNs, kResolveTickNs, [self] { self->ResolveWanted(); }));
  v->timers_.push_back(timers.Every(kRefreshNs, kRefreshNs, [self] {
    self->RefreshNextHops();
    if (absl::Status s = self->SyncSteering(); !s.ok()) {
      Log(LogLevel::kWarning, "vs", absl::StrCat("steering: ", s.message()));
    }
  }));
  if (config.vs_health_interval_ms > 0) {
    v->timers_.push_back(timers.Every(config.vs_health_interval_ms * kMs, 0,
                                      [self] { self->RunHealthChecks(); }));
  }
  commands.Register(
      "vs",
      "[add-service VIP:PORT/PROTO [rr|wrr|lc] | remove-service VIP:PORT/PROTO | "
      "add-backend VIP:PORT/PROTO ADDRESS:PORT [WEIGHT] | remove-backend VIP:PORT/PROTO "
      "ADDRESS:PORT]",
      "the virtual service (Double-NAT): services, backends, connections, vdports, counters",
      [self](const CommandRegistry::Args& args) { return self->Command(args); });
  commands.AddStatusSection([self](json& s) {
    absl::StatusOr<json> r = self->Report();
    if (!r.ok()) return;
    s["vs"] = {{"services", (*r)["services"].size()},
               {"connections", (*r)["connections"]["in_use"]},
               {"forwarded_in", (*r)["counters"]["forwarded_in"]},
               {"forwarded_out", (*r)["counters"]["forwarded_out"]}};
  });
  return v;
}

VirtualService::VirtualService(const DaemonConfig& config, EventLoop& loop, DataPlane& dp)
    : config_(config), loop_(loop), dp_(dp), health_(vs::HealthTracker::Options{}) {}

VirtualService::~VirtualService() {
  for (TimerQueue::TimerId id : timers_) loop_.timers().Cancel(id);
  for (VsSteerMaps& m : steer_) (void)m.Apply(VsSteering{});
  for (auto& [id, c] : checks_) {
    loop_.Unwatch(c->fd.get());
    loop_.timers().Cancel(c->timeout);
  }
  RestoreReservedPorts();
}

// --- configuration ---------------------------------------------------------------------

absl::Status VirtualService::ApplyConfig() {
  for (const std::string& text : config_.vs_services) {
    absl::StatusOr<vs::ServiceLine> line = vs::ParseServiceLine(text);
    if (!line.ok()) return line.status();
    // Configured services start even while their VIP is elsewhere: a failover manager
    // (keepalived) may move it in later. Said, so that a typo does not go unnoticed.
    if (absl::Status local = CheckVipIsLocalNow(line->id); !local.ok()) {
      Log(LogLevel::kWarning, "vs", absl::StrCat("vs_service ", text, ": ", local.message()));
    }
    if (absl::Status s = AddService(*line); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("vs_service ", text, ": ", s.message()));
    }
  }
  for (const std::string& text : config_.vs_backends) {
    absl::StatusOr<vs::BackendLine> line = vs::ParseBackendLine(text);
    if (!line.ok()) return line.status();
    if (absl::Status s = AddBackend(*line); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("vs_backend ", text, ": ", s.message()));
    }
  }
  return SyncSteering();
}

absl::Status VirtualService::CheckVipIsLocalNow(const vs::ServiceId& id) const {
  absl::StatusOr<std::vector<uint32_t>> local = LocalIpv4Addresses();
  if (!local.ok()) {  // cannot tell: the service is not refused for that
    Log(LogLevel::kWarning, "vs", absl::StrCat("reading the node's addresses: ",
                                               local.status().message()));
    return absl::OkStatus();
  }
  return vs::CheckVipIsLocal(id, *local);
}

absl::Status VirtualService::AddService(const vs::ServiceLine& line) {
  vs::ServiceConfig c;
  c.vip = line.id.vip;
  c.proto = line.id.proto;
  c.scheduler = line.scheduler;
  VsWorker* w = &dp_.vs_worker();
  absl::StatusOr<absl::Status> r =
      dp_.tasks().Call<absl::Status>([w, c] { return w->forwarder().nat().AddService(c); });
  if (!r.ok()) return r.status();
  if (r->ok()) {
    Log(LogLevel::kInfo, "vs",
        absl::StrCat("service ", vs::FormatServiceId(line.id), " added (", line.scheduler, ")"));
  }
  return *r;
}

absl::Status VirtualService::RemoveService(const vs::ServiceId& id) {
  VsWorker* w = &dp_.vs_worker();
  absl::StatusOr<absl::Status> r = dp_.tasks().Call<absl::Status>(
      [w, id] { return w->forwarder().nat().RemoveService(id.vip, id.proto); });
  if (!r.ok()) return r.status();
  if (r->ok()) {
    Log(LogLevel::kInfo, "vs",
        absl::StrCat("service ", vs::FormatServiceId(id),
                     " removed: no new connections; steered until its last one ends"));
  }
  return *r;
}

absl::Status VirtualService::AddBackend(const vs::BackendLine& line) {
  VsWorker* w = &dp_.vs_worker();
  const vs::ServiceId id = line.service;
  const vs::BackendConfig b = line.backend;
  // The health known so far applies at once: a backend added again while down stays out.
  const bool healthy = health_.healthy(b.endpoint);
  absl::StatusOr<absl::Status> r = dp_.tasks().Call<absl::Status>([w, id, b, healthy] {
    vs::DoubleNat& nat = w->forwarder().nat();
    absl::Status s = nat.AddBackend(id.vip, id.proto, b);
    if (s.ok() && !healthy) s = nat.SetBackendHealth(id.vip, id.proto, b.endpoint, false);
    return s;
  });
  if (!r.ok()) return r.status();
  if (r->ok()) {
    Log(LogLevel::kInfo, "vs",
        absl::StrCat("backend ", vs::FormatEndpoint(b.endpoint), " (weight ", b.weight,
                     ") added to ", vs::FormatServiceId(id)));
    Resolve(b.endpoint.addr);  // its MAC ready before its first connection
  }
  return *r;
}

absl::Status VirtualService::RemoveBackend(const vs::ServiceId& id, const vs::Endpoint& backend) {
  VsWorker* w = &dp_.vs_worker();
  absl::StatusOr<absl::Status> r = dp_.tasks().Call<absl::Status>([w, id, backend] {
    return w->forwarder().nat().RemoveBackend(id.vip, id.proto, backend);
  });
  if (!r.ok()) return r.status();
  if (r->ok()) {
    Log(LogLevel::kInfo, "vs",
        absl::StrCat("backend ", vs::FormatEndpoint(backend), " removed from ",
                     vs::FormatServiceId(id), ": its connections drain"));
  }
  return *r;
}

absl::StatusOr<json> VirtualService::Command(const std::vector<std::string>& args) {
  if (args.empty()) return Report();
  const std::string& verb = args[0];
  auto rest = [&args] { return absl::StrJoin(args.begin() + 1, args.end(), " "); };
  absl::Status s;
  if (verb == "add-service" && (args.size() == 2 || args.size() == 3)) {
    absl::StatusOr<vs::ServiceLine> line = vs::ParseServiceLine(rest());
    s = !line.ok() ? line.status() : CheckVipIsLocalNow(line->id);
    if (s.ok()) s = AddService(*line);
  } else if (verb == "remove-service" && args.size() == 2) {
    absl::StatusOr<vs::ServiceId> id = vs::ParseServiceId(args[1]);
    s = id.ok() ? RemoveService(*id) : id.status();
  } else if (verb == "add-backend" && (args.size() == 3 || args.size() == 4)) {
    absl::StatusOr<vs::BackendLine> line = vs::ParseBackendLine(rest());
    s = line.ok() ? AddBackend(*line) : line.status();
  } else if (verb == "remove-backend" && args.size() == 3) {
    absl::StatusOr<vs::ServiceId> id = vs::ParseServiceId(args[1]);
    absl::StatusOr<vs::Endpoint> b = vs::ParseEndpoint(args[2]);
    s = !id.ok() ? id.status() : !b.ok() ? b.status() : RemoveBackend(*id, *b);
  } else {
    return absl::InvalidArgumentError(
        "usage: vs [add-service VIP:PORT/PROTO [rr|wrr|lc] | remove-service VIP:PORT/PROTO | "
        "add-backend VIP:PORT/PROTO ADDRESS:PORT [WEIGHT] | remove-backend VIP:PORT/PROTO "
        "ADDRESS:PORT]");
  }
  if (!s.ok()) return s;
  if (absl::Status st = SyncSteering(); !st.ok()) return st;
  return Report();
}

// --- steering and the vdport range ------------------------------------------------------

absl::Status VirtualService::SyncSteering() {
  VsWorker* w = &dp_.vs_worker();
  absl::StatusOr<std::vector<vs::ServiceReport>> services =
      dp_.tasks().Call<std::vector<vs::ServiceReport>>(
          [w] { return w->forwarder().nat().Report(); });
  if (!services.ok()) {
    ++counters_.worker_timeouts;
    return services.status();
  }
  services_ = *std::move(services);
  VsSteering want;
  want.vdport_first = config_.vs_vdport_first;
  want.vdport_last = config_.vs_vdport_last;
  for (const vs::ServiceReport& s : services_) {  // draining ones too
    want.services.insert({s.config.vip.addr, s.config.vip.port, s.config.proto});
  }
  // The vdport range is the kernel's to avoid only while a service can use it.
  if (!want.services.empty() && !reserved_) {
    if (absl::Status s = ReservePorts(); !s.ok()) {
      Log(LogLevel::kWarning, "vs",
          absl::StrCat(s.message(), ": the kernel may pick a vdport for a connection of its own, "
                                    "whose replies the service then takes"));
    }
  } else if (want.services.empty() && reserved_) {
    RestoreReservedPorts();
  }
  for (size_t i = 0; i < steer_.size(); ++i) {
    if (absl::Status s = steer_[i].Apply(want); !s.ok()) {
      ++counters_.steering_errors;
      return absl::Status(s.code(), absl::StrCat(dp_.port(i).ifname(), ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string VirtualService::ReservedRange() const {
  return absl::StrCat(config_.vs_vdport_first, "-", config_.vs_vdport_last);
}

absl::Status VirtualService::ReservePorts() {
  std::optional<std::string> before = ReadFile(kReservedPortsPath);
  const std::string range = ReservedRange();
  if (!before) return absl::FailedPreconditionError(absl::StrCat("cannot read ", kReservedPortsPath));
  const std::string after = before->empty() ? range : absl::StrCat(*before, ",", range);
  if (!WriteFile(kReservedPortsPath, after)) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", kReservedPortsPath, " (reserving vdports ", range, ")"));
  }
  reserved_ = true;
  Log(LogLevel::kInfo, "vs",
      absl::StrCat("vdports ", range, " reserved from the kernel's ephemeral ports"));
  // The node's own connections (the health checks among them) need ephemeral ports.
  if (std::optional<std::string> eph = ReadFile(kLocalPortRangePath)) {
    uint32_t lo = 0, hi = 0;
    if (std::sscanf(eph->c_str(), "%u %u", &lo, &hi) == 2 && lo <= hi &&
        config_.vs_vdport_first <= lo && config_.vs_vdport_last >= hi) {
      Log(LogLevel::kWarning, "vs",
          absl::StrCat("vdports ", range, " cover the kernel's whole ephemeral range ", lo, "-",
                       hi, ": the node's own connections, the health checks among them, fail"));
    }
  }
  return absl::OkStatus();
}

void VirtualService::RestoreReservedPorts() {
  if (!reserved_) return;
  reserved_ = false;
  // Ours only: whatever else was reserved meanwhile stays. The kernel keeps the list as
  // ranges, so ours reads back as written unless it touches another range.
  std::optional<std::string> now = ReadFile(kReservedPortsPath);
  if (!now) return;
  std::vector<std::string> kept;
  bool found = false;
  for (absl::string_view r : absl::StrSplit(*now, ',', absl::SkipEmpty())) {
    if (r == ReservedRange() && !found) {
      found = true;
      continue;
    }
    kept.emplace_back(r);
  }
  if (!found) {
    Log(LogLevel::kWarning, "vs",
        absl::StrCat("vdports ", ReservedRange(), " merged with other reserved ports (", *now,
                     "): left reserved"));
    return;
  }
  if (!WriteFile(kReservedPortsPath, absl::StrJoin(kept, ","))) {
    Log(LogLevel::kWarning, "vs", absl::StrCat("could not write ", kReservedPortsPath));
    return;
  }
  Log(LogLevel::kInfo, "vs", absl::StrCat("vdports ", ReservedRange(), " given back to the kernel"));
}

// --- next hops --------------------------------------------------------------------------

std::optional<uint32_t> VirtualService::OurPort(int ifindex) const {
  for (size_t i = 0; i < dp_.port_count(); ++i) {
    if (dp_.port(i).ifindex() == ifindex) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

void VirtualService::WarnResolver(const std::string& text) {
  // At most one line per 10 s: a flood of unroutable clients must not flood the log.
  const uint64_t now = loop_.clock().MonotonicNs();
  if (now - last_resolver_warning_ns_ < 10'000 * kMs && last_resolver_warning_ns_ != 0) {
    ++counters_.resolver_warnings_suppressed;
    return;
  }
  last_resolver_warning_ns_ = now;
  Log(LogLevel::kWarning, "vs", text);
}

void VirtualService::Resolve(uint32_t addr) {
  absl::StatusOr<NextHop> hop = kernel_->Lookup(addr);
  if (!hop.ok()) {  // the exchange failed, not the route: the worker keeps what it has
    ++counters_.resolve_errors;
    WarnResolver(absl::StrCat("next hop of ", vs::FormatAddress(addr), ": ", hop.status().message()));
    return;
  }
  ApplyNextHop(addr, *hop);
}

void VirtualService::ApplyNextHop(uint32_t addr, const NextHop& hop) {
  const std::optional<uint32_t> port = OurPort(hop.ifindex);
  const uint64_t now = loop_.clock().MonotonicNs();
  VsWorker* w = &dp_.vs_worker();
  if (hop.state == NextHop::State::kResolved && port) {
    soliciting_.erase(addr);
    const vs::NextHopEntry entry{*port, hop.mac};
    const auto known = next_hops_.find(addr);
    if (known != next_hops_.end() && known->second == entry) return;
    absl::StatusOr<bool> taken =
        dp_.tasks().Call<bool>([w, addr, entry] { return w->SetNextHop(addr, entry); });
    if (!taken.ok()) {
      ++counters_.worker_timeouts;  // it may still apply: the next refresh reads it back
    } else if (*taken) {
      next_hops_[addr] = entry;
      ++counters_.resolved;
    }  // else the worker's table is full (next_hop_table_full)
    return;
  }
  if (hop.state == NextHop::State::kIncomplete && port) {
    if (!soliciting_.contains(addr)) {
      soliciting_[addr] = now + kSolicitForNs;
      ++counters_.solicited;
    }
    if (absl::Status st = kernel_->Solicit(hop.ifindex, hop.via); !st.ok()) {
      ++counters_.resolve_errors;
      WarnResolver(absl::StrCat("resolving ", vs::FormatAddress(hop.via), ": ", st.message()));
    }
    return;
  }
  // No route, one that delivers nowhere, or one out of an interface that is not ours.
  const bool known = next_hops_.erase(addr) > 0;
  if (known || !soliciting_.contains(addr)) {
    ++counters_.unroutable;
    WarnResolver(absl::StrCat(vs::FormatAddress(addr), ": ", NextHopStateName(hop.state),
                              port ? "" : " (or the route leaves through no dmpd port)",
                              "; its frames are dropped"));
  }
  soliciting_.erase(addr);
  if (known) {
    (void)dp_.tasks().Call<bool>([w, addr] {
      w->forwarder().ForgetNextHop(addr);
      return true;
    });
  }
}

void VirtualService::ResolveWanted() {
  VsWorker* w = &dp_.vs_worker();
  // Nothing asked, nothing pending: no round trip to (and no wake-up of) the worker.
  if (!w->wants_next_hops() && soliciting_.empty()) return;
  std::vector<uint32_t> wanted;
  absl::StatusOr<std::vector<uint32_t>> r = dp_.tasks().Call<std::vector<uint32_t>>([w] {
    std::vector<uint32_t> out;
    w->TakeWanted(out);
    return out;
  });
  if (r.ok()) wanted = *std::move(r);
  const uint64_t now = loop_.clock().MonotonicNs();
  for (auto it = soliciting_.begin(); it != soliciting_.end();) {
    if (it->second <= now) {
      it = soliciting_.erase(it);  // given up; the worker asks again with its next frame
    } else {
      wanted.push_back((it++)->first);
    }
  }
  for (uint32_t addr : wanted) Resolve(addr);
}

void VirtualService::RefreshNextHops() {
  // The worker's table as it is, less the entries no frame used for a minute: the main
  // lcore's copy follows it, so a task that timed out cannot leave the two apart for long.
  VsWorker* w = &dp_.vs_worker();
  absl::StatusOr<std::vector<std::pair<uint32_t, vs::NextHopEntry>>> table =
      dp_.tasks().Call<std::vector<std::pair<uint32_t, vs::NextHopEntry>>>([w] {
        w->ForgetIdleNextHops(kNextHopIdleNs);
        return w->forwarder().NextHops();
      });
  if (!table.ok()) {
    ++counters_.worker_timeouts;
    return;
  }
  next_hops_ = std::map<uint32_t, vs::NextHopEntry>(table->begin(), table->end());
  for (const auto& [addr, entry] : *table) Resolve(addr);  // a changed MAC or port, a lost route
}

// --- health ----------------------------------------------------------------------------

std::set<std::pair<uint32_t, uint16_t>> VirtualService::BackendEndpoints() const {
  std::set<std::pair<uint32_t, uint16_t>> out;
  for (const vs::ServiceReport& s : services_) {
    for (const vs::BackendReport& b : s.backends) {
      if (s.config.proto == vs::kProtoTcp) out.insert({b.config.endpoint.addr, b.config.endpoint.port});
    }
  }
  return out;
}

void VirtualService::RunHealthChecks() {
  std::set<std::pair<uint32_t, uint16_t>> busy;
  for (const auto& [id, c] : checks_) busy.insert({c->backend.addr, c->backend.port});
  for (const auto& [addr, port] : BackendEndpoints()) {
    if (busy.contains({addr, port})) continue;  // the previous check has not ended
    const vs::Endpoint backend{addr, port};
    const uint64_t id = next_check_id_++;
    ++counters_.checks;
    auto c = std::make_unique<Check>();
    c->backend = backend;
    c->fd = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!c->fd.valid()) {
      FinishCheck(0, false);
      continue;
    }
    // Closed with a reset, not a FIN: a check leaves no TIME_WAIT behind on the node.
    const linger no_linger{1, 0};
    setsockopt(c->fd.get(), SOL_SOCKET, SO_LINGER, &no_linger, sizeof(no_linger));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(addr);
    sa.sin_port = htons(port);
    const int rc = connect(c->fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    if (rc != 0 && errno != EINPROGRESS) {  // refused at once (no route, no neighbour)
      checks_[id] = std::move(c);
      FinishCheck(id, false);
      continue;
    }
    const int fd = c->fd.get();
    c->timeout = loop_.timers().After(config_.vs_health_timeout_ms * kMs,
                                      [this, id] { FinishCheck(id, false); });
    checks_[id] = std::move(c);
    if (rc == 0) {
      FinishCheck(id, true);
      continue;
    }
    if (!loop_.Watch(fd, EPOLLOUT, [this, id, fd](uint32_t) {
          int err = 0;
          socklen_t len = sizeof(err);
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          FinishCheck(id, err == 0);
        }).ok()) {
      FinishCheck(id, false);
    }
  }
}

void VirtualService::FinishCheck(uint64_t id, bool ok) {
  const auto it = checks_.find(id);
  if (it == checks_.end()) {
    ++counters_.checks_failed;  // no socket could be made
    return;
  }
  std::unique_ptr<Check> c = std::move(it->second);
  checks_.erase(it);
  loop_.Unwatch(c->fd.get());
  loop_.timers().Cancel(c->timeout);
  if (!ok) ++counters_.checks_failed;
  const std::optional<bool> changed = health_.Record(c->backend, ok);
  if (!changed) return;
  Log(*changed ? LogLevel::kInfo : LogLevel::kWarning, "vs",
      absl::StrCat("backend ", vs::FormatEndpoint(c->backend), *changed ? " healthy again" :
                   " unhealthy (its TCP checks fail): no new connections"));
  const vs::Endpoint b = c->backend;
  const bool healthy = *changed;
  VsWorker* w = &dp_.vs_worker();
  (void)dp_.tasks().Call<bool>([w, b, healthy] {
    vs::DoubleNat& nat = w->forwarder().nat();
    for (const vs::ServiceReport& s : nat.Report()) {
      for (const vs::BackendReport& br : s.backends) {
        if (br.config.endpoint == b) {
          (void)nat.SetBackendHealth(s.config.vip, s.config.proto, b, healthy);
        }
      }
    }
    return true;
  });
}

// --- operators --------------------------------------------------------------------------

absl::StatusOr<json> VirtualService::Report() {
  VsWorker* w = &dp_.vs_worker();
  absl::StatusOr<WorkerView> view = dp_.tasks().Call<WorkerView>([w] { return ViewOf(*w); });
  if (!view.ok()) {
    ++counters_.worker_timeouts;
    return view.status();
  }
  json services = json::array();
  for (const vs::ServiceReport& s : view->services) {
    services.push_back(ServiceJson(s, config_.vs_health_interval_ms > 0));
  }
  json counters = json::object();
  view->nat.ForEach([&](const char* name, const char*, uint64_t v) { counters[name] = v; });
  json parse_errors = json::object();
  for (size_t i = 1; i < view->nat.parse_errors.size(); ++i) {
    parse_errors[std::string(vs::ParseErrorName(static_cast<vs::ParseError>(i)))] =
        view->nat.parse_errors[i];
  }
  counters["parse_errors"] = std::move(parse_errors);
  view->frame.ForEach([&](const char* name, const char*, uint64_t v) { counters[name] = v; });
  counters["held"] = view->hold.held;
  counters["held_sent"] = view->hold.held_sent;
  counters["held_expired"] = view->hold.held_expired;
  counters["hold_full"] = view->hold.hold_full;
  dmpd_vs_counters steered{};
  for (const VsSteerMaps& m : steer_) {
    absl::StatusOr<dmpd_vs_counters> c = m.ReadCounters();
    if (!c.ok()) continue;
    steered.redirected_vs += c->redirected_vs;
    steered.vs_no_socket += c->vs_no_socket;
  }
  json next_hops = json::array();
  for (const auto& [addr, e] : view->next_hops) {
    next_hops.push_back({{"address", vs::FormatAddress(addr)},
                         {"port", e.port},
                         {"mac", FormatMac(e.mac)}});
  }
  return json{
      {"services", std::move(services)},
      {"connections", {{"in_use", view->connections},
                       {"capacity", view->capacity},
                       {"refused_full", view->table_refused_full}}},
      {"vdports", {{"first", config_.vs_vdport_first},
                   {"reserved", reserved_},
                   {"last", config_.vs_vdport_last},
                   {"ports", view->vdports},
                   {"ports_in_use", view->vdports_in_use},
                   {"pairs_in_use", view->vdport_pairs_in_use},
                   {"max_connections_per_backend", view->vdports},
                   {"refused", view->vdport_refused}}},
      {"counters", std::move(counters)},
      {"steering", {{"redirected", steered.redirected_vs}, {"no_socket", steered.vs_no_socket}}},
      {"held_now", view->held_now},
      {"next_hops", std::move(next_hops)},
      {"resolver", {{"resolved", counters_.resolved},
                    {"warnings_suppressed", counters_.resolver_warnings_suppressed},
                    {"solicited", counters_.solicited},
                    {"soliciting_now", soliciting_.size()},
                    {"unroutable", counters_.unroutable},
                    {"errors", counters_.resolve_errors}}},
      {"health", {{"interval_ms", config_.vs_health_interval_ms},
                  {"timeout_ms", config_.vs_health_timeout_ms},
                  {"checks", counters_.checks},
                  {"checks_failed", counters_.checks_failed}}},
      {"worker_timeouts", counters_.worker_timeouts},
      {"steering_errors", counters_.steering_errors},
  };
}

std::string VirtualService::RenderMetrics(const std::string& node_name) {
  VsWorker* vw = &dp_.vs_worker();
  absl::StatusOr<WorkerView> view = dp_.tasks().Call<WorkerView>([vw] { return ViewOf(*vw); });
  if (!view.ok()) {
    ++counters_.worker_timeouts;
    return {};
  }
  monitor::PrometheusTextWriter w;
  const std::pair<std::string_view, std::string> node{"node", node_name};
  w.Family("dmpd_vs_connections", "gauge", "connections in the virtual service's table");
  w.Sample({node}, uint64_t{view->connections});
  w.Family("dmpd_vs_connections_capacity", "gauge", "the connection table's size");
  w.Sample({node}, uint64_t{view->capacity});
  w.Family("dmpd_vs_vdports_in_use", "gauge", "vdports serving at least one connection");
  w.Sample({node}, uint64_t{view->vdports_in_use});
  w.Family("dmpd_vs_held_frames", "gauge", "translated frames waiting for their next hop");
  w.Sample({node}, uint64_t{view->held_now});
  auto per_backend = [&](const char* family, const char* type, const char* help, auto value) {
    w.Family(family, type, help);
    for (const vs::ServiceReport& s : view->services) {
      for (const vs::BackendReport& b : s.backends) {
        w.Sample({node, {"service", vs::FormatServiceId({s.config.vip, s.config.proto})},
                  {"backend", vs::FormatEndpoint(b.config.endpoint)}},
                 value(b));
      }
    }
  };
  per_backend("dmpd_vs_backend_connections", "gauge", "connections per backend",
              [](const vs::BackendReport& b) { return uint64_t{b.connections}; });
  per_backend("dmpd_vs_backend_healthy", "gauge", "1 when the backend's TCP checks pass",
              [](const vs::BackendReport& b) { return uint64_t{b.healthy}; });
  per_backend("dmpd_vs_backend_weight", "gauge", "the backend's weight",
              [](const vs::BackendReport& b) { return uint64_t{b.config.weight}; });
  auto counter = [&](const char* name, const char* doc, uint64_t v) {
    w.Family(absl::StrCat("dmpd_vs_", name, "_total"), "counter", doc);
    w.Sample({node}, v);
  };
  view->nat.ForEach(counter);
  view->frame.ForEach(counter);
  counter("held", "translated frames held for their next hop", view->hold.held);
  counter("held_sent", "held frames sent once their next hop was resolved", view->hold.held_sent);
  counter("held_expired", "held frames dropped: no next hop in time", view->hold.held_expired);
  counter("hold_full", "frames dropped: the hold was full", view->hold.hold_full);
  w.Family("dmpd_vs_parse_errors_total", "counter", "packets refused by the parser, by reason");
  for (size_t i = 1; i < view->nat.parse_errors.size(); ++i) {
    w.Sample({node, {"reason", std::string(vs::ParseErrorName(static_cast<vs::ParseError>(i)))}},
             view->nat.parse_errors[i]);
  }
  return w.Take();
}

}  // namespace dmpd
