// SPDX-License-Identifier: BSD-3-Clause
// How operators write the virtual service's objects, in the config file and in dmpdctl:
//   service  VIP:PORT/PROTO        198.19.100.1:80/tcp
//   backend  ADDRESS:PORT          198.19.11.2:8080
//   range    FIRST-LAST            61000-65535
// and the same forms back for reports.
#ifndef DMPD_USERSPACE_VS_SERVICE_SPEC_H_
#define DMPD_USERSPACE_VS_SERVICE_SPEC_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "userspace/vs/double_nat.h"

namespace dmpd::vs {

struct ServiceId {
  Endpoint vip;
  uint8_t proto = kProtoTcp;
  friend bool operator==(const ServiceId&, const ServiceId&) = default;
};

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text);  // ADDRESS:PORT, port 1..65535
absl::StatusOr<ServiceId> ParseServiceId(absl::string_view text);  // VIP:PORT/tcp|udp
absl::StatusOr<std::pair<uint16_t, uint16_t>> ParsePortRange(absl::string_view text);

// A service with its scheduler, as in `vs_service = 198.19.100.1:80/tcp wrr` (default rr)
// and `dmpdctl vs add-service`.
struct ServiceLine {
  ServiceId id;
  std::string scheduler = "rr";
};
absl::StatusOr<ServiceLine> ParseServiceLine(absl::string_view text);

// OK when the service's VIP is one of the node's addresses (host order). A VIP the node
// does not hold gets no packets (nobody answers ARP for it) and its replies would leave
// from an address the kernel does not own: FailedPrecondition, saying how to add it.
absl::Status CheckVipIsLocal(const ServiceId& id, const std::vector<uint32_t>& local_addresses);

// A backend of a service, as in `vs_backend = 198.19.100.1:80/tcp 198.19.11.2:8080 2`
// (weight 0..65535, default 1; 0 takes no new connections).
struct BackendLine {
  ServiceId service;
  BackendConfig backend;
};
absl::StatusOr<BackendLine> ParseBackendLine(absl::string_view text);

bool IsKnownScheduler(absl::string_view name);  // rr, wrr, lc

std::string FormatAddress(uint32_t addr);  // host order → dotted quad
std::string FormatEndpoint(const Endpoint& e);
std::string FormatServiceId(const ServiceId& s);
const char* ProtoName(uint8_t proto);  // "tcp", "udp", "?"

}  // namespace dmpd::vs

#endif  // DMPD_USERSPACE_VS_SERVICE_SPEC_H_
