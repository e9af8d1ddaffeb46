// SPDX-License-Identifier: BSD-3-Clause
// DoubleNat: the virtual service's whole per-packet path (seed 004, §3 steps 1–6 and the
// optimised ip_vs_in of §4.3), as one object the worker drives — and tests, the same way.
//
// Per packet (Process):
//   1. parse (every length checked; refusals counted by reason);
//   2. direction from dip:dport, before any lookup: a configured vip:vport is IN (from a
//      client), a VIP with a dport in the vdport range is OUT (a backend's reply);
//      anything else is not the service's (kNotOurs: the kernel keeps it);
//   3. one lookup in that direction's bucket chain;
//   4. IN without a connection: a TCP SYN (or any UDP datagram) creates one — the
//      service's scheduler picks a healthy backend, the allocator a vdport free toward it;
//      anything else is dropped and counted (an RST or FIN for no connection, a stray ACK);
//   5. the TCP state advances (timeouts), both addresses and ports are rewritten, checksums
//      updated, TTL decremented; the caller sends it on toward `next_hop`.
//
// Configuration (AddService, RemoveService, AddBackend, RemoveBackend, SetBackendHealth)
// never drops an established connection: a removed backend or service drains — it takes
// no new connection, its connections run to their end or timeout, then its slot is
// reused. Time comes in as ns; nothing here reads a clock or allocates per packet.
#ifndef DMPD_USERSPACE_VS_DOUBLE_NAT_H_
#define DMPD_USERSPACE_VS_DOUBLE_NAT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "userspace/vs/connection_table.h"
#include "userspace/vs/ipv4_l4_packet.h"
#include "userspace/vs/scheduler.h"
#include "userspace/vs/vdport_allocator.h"

namespace dmpd::vs {

struct Endpoint {
  uint32_t addr = 0;  // host order
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct BackendConfig {
  Endpoint endpoint;
  uint32_t weight = 1;
};

struct ServiceConfig {
  Endpoint vip;                 // vip:vport
  uint8_t proto = kProtoTcp;    // kProtoTcp or kProtoUdp
  std::string scheduler = "rr";  // rr, wrr, lc
  std::vector<BackendConfig> backends;
};

// X(name, "meaning"): what Process did with packets, beyond the parse errors.
#define DMPD_VS_NAT_COUNTERS(X)                                                              \
  X(forwarded_in, "client packets translated toward a backend")                          \
  X(forwarded_out, "backend replies translated toward the client")                       \
  X(not_ours, "packets for no service (steered while a map changed)")                     \
  X(connections_created, "new connections")                                              \
  X(no_connection_in, "client packets that neither belong to nor open a connection")     \
  X(no_connection_out, "replies to a vdport with no connection (or a retired one)")     \
  X(no_backend, "new connections refused: no healthy backend with weight")               \
  X(no_vdport, "new connections refused: every vdport in use toward the backend")       \
  X(table_full, "new connections refused: the connection table is full")                 \
  X(vdport_conflict, "new connections refused: two services share the backend and the VIP") \
  X(service_draining, "new connections refused: the service is being removed")           \
  X(ttl_expired, "packets whose TTL would reach 0")                                      \
  X(port_reused, "client SYNs on a closing connection: a new connection on its backend "  \
                 "and vdport (the client reused its port)")                               \
  X(rescheduled, "client SYNs on a connection whose backend is down or draining: "        \
                 "scheduled anew; the old entry keeps its vdport until it times out")     \
  X(expired, "connections timed out")

struct DoubleNatCounters {
#define DMPD_VS_COUNTER_FIELD(name, doc) uint64_t name = 0;
  DMPD_VS_NAT_COUNTERS(DMPD_VS_COUNTER_FIELD)
#undef DMPD_VS_COUNTER_FIELD
  std::array<uint64_t, static_cast<size_t>(ParseError::kCount)> parse_errors{};
  template <class F>
  void ForEach(F&& f) const {
#define DMPD_VS_COUNTER_VISIT(name, doc) f(#name, doc, name);
    DMPD_VS_NAT_COUNTERS(DMPD_VS_COUNTER_VISIT)
#undef DMPD_VS_COUNTER_VISIT
  }
};

enum class Verdict : uint8_t {
  kForward,  // rewritten in place: send it toward `next_hop`
  kNotOurs,  // untouched: the kernel's
  kDrop,     // the service's but not forwarded (counted)
};

struct ForwardTo {
  uint32_t next_hop = 0;  // the rewritten packet's destination: a backend or the client
};

// What an operator sees of one backend (dmpdctl vs).
struct BackendReport {
  BackendConfig config;
  bool healthy = true;
  bool draining = false;
  uint32_t connections = 0;
};

struct ServiceReport {
  ServiceConfig config;  // backends as configured now (draining ones not listed there)
  bool draining = false;
  uint32_t connections = 0;
  std::vector<BackendReport> backends;  // active ones, then draining ones
};

class DoubleNat {
 public:
  struct Options {
    uint16_t vdport_first = 61000;
    uint16_t vdport_last = 65535;
    uint32_t max_backends = 256;  // over all services, draining ones included
    uint32_t max_services = 64;
    ConnectionTable::Options connections;
  };
  static absl::StatusOr<std::unique_ptr<DoubleNat>> Create(const Options& options);

  // --- configuration ------------------------------------------------------------------
  absl::Status AddService(const ServiceConfig& config);
  // Drains: no new connection; removed once its last connection ends.
  absl::Status RemoveService(const Endpoint& vip, uint8_t proto);
  absl::Status AddBackend(const Endpoint& vip, uint8_t proto, const BackendConfig& backend);
  absl::Status RemoveBackend(const Endpoint& vip, uint8_t proto, const Endpoint& backend);
  // From the health checks: an unhealthy backend gets no new connection.
  absl::Status SetBackendHealth(const Endpoint& vip, uint8_t proto, const Endpoint& backend,
                                bool healthy);

  // --- data path ----------------------------------------------------------------------
  Verdict Process(std::span<uint8_t> ip_packet, uint64_t now_ns, ForwardTo* to);
  // Times out connections due by `now` (at most `limit`), giving their vdports back.
  size_t Expire(uint64_t now_ns, size_t limit = SIZE_MAX);

  // --- operators ----------------------------------------------------------------------
  std::vector<ServiceReport> Report() const;
  const DoubleNatCounters& counters() const { return counters_; }
  const ConnectionTable& connections() const { return table_; }
  const VdportAllocator& vdports() const { return vdports_; }

 private:
  struct Backend {
    bool used = false;
    bool draining = false;
    bool healthy = true;
    uint32_t service = 0;
    BackendConfig config;
    uint32_t connections = 0;
  };
  struct Service {
    bool used = false;
    bool draining = false;
    ServiceConfig config;  // `backends` unused: members_ holds them
    std::unique_ptr<Scheduler> scheduler;
    std::vector<uint32_t> members;    // active backends' global indices, config order
    std::vector<BackendLoad> loads;   // parallel to members, refreshed per new connection
    uint32_t connections = 0;
  };
  struct ServiceKey {
    uint32_t addr;
    uint16_t port;
    uint8_t proto;
    friend bool operator==(const ServiceKey&, const ServiceKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const ServiceKey& k) {
      return H::combine(std::move(h), k.addr, k.port, k.proto);
    }
  };

  DoubleNat(const Options& options, ConnectionTable table, VdportAllocator vdports);
  std::optional<uint32_t> FindService(const Endpoint& vip, uint8_t proto) const;
  std::optional<uint32_t> FindMember(const Service& s, const Endpoint& backend) const;
  absl::StatusOr<uint32_t> NewBackend(uint32_t service, const BackendConfig& config);
  uint32_t Open(const Ipv4L4View& v, uint32_t service_index, uint64_t now_ns);
  void OnConnectionGone(const Connection& c);
  // A client SYN that matches `c` opens a new connection instead of following it.
  bool IsOverForNewSyn(const Connection& c) const;
  // Healthy, with weight, and neither it nor its service being removed.
  bool BackendTakesNewConnections(uint32_t backend) const;
  void MaybeFree(uint32_t service_index);

  Options options_;
  ConnectionTable table_;
  VdportAllocator vdports_;
  std::vector<Backend> backends_;
  std::vector<Service> services_;
  absl::flat_hash_map<ServiceKey, uint32_t> by_vip_port_;  // active and draining
  absl::flat_hash_map<uint32_t, uint32_t> vips_;           // VIP -> services using it
  DoubleNatCounters counters_;
};

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_DOUBLE_NAT_H_
