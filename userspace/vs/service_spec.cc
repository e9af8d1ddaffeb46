// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/service_spec.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dmpd::vs {

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text) {
  const size_t colon = text.rfind(':');
  in_addr addr{};
  uint32_t port = 0;
  if (colon == absl::string_view::npos ||
      inet_pton(AF_INET, std::string(text.substr(0, colon)).c_str(), &addr) != 1 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': expected IPV4ADDRESS:PORT (port 1..65535)"));
  }
  return Endpoint{ntohl(addr.s_addr), static_cast<uint16_t>(port)};
}

absl::StatusOr<ServiceId> ParseServiceId(absl::string_view text) {
  const size_t slash = text.rfind('/');
  const absl::string_view proto = slash == absl::string_view::npos ? "" : text.substr(slash + 1);
  if (proto != "tcp" && proto != "udp") {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': expected VIP:PORT/tcp or VIP:PORT/udp"));
  }
  absl::StatusOr<Endpoint> vip = ParseEndpoint(text.substr(0, slash));
  if (!vip.ok()) return vip.status();
  return ServiceId{*vip, proto == "tcp" ? kProtoTcp : kProtoUdp};
}

absl::StatusOr<std::pair<uint16_t, uint16_t>> ParsePortRange(absl::string_view text) {
  const size_t dash = text.find('-');
  uint32_t first = 0, last = 0;
  if (dash == absl::string_view::npos || !absl::SimpleAtoi(text.substr(0, dash), &first) ||
      !absl::SimpleAtoi(text.substr(dash + 1), &last) || first == 0 || last > 65535 ||
      first > last) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': expected FIRST-LAST, 1 <= FIRST <= LAST <= 65535"));
  }
  return std::pair<uint16_t, uint16_t>(static_cast<uint16_t>(first), static_cast<uint16_t>(last));
}

bool IsKnownScheduler(absl::string_view name) {
  return name == "rr" || name == "wrr" || name == "lc";
}

absl::Status CheckVipIsLocal(const ServiceId& id, const std::vector<uint32_t>& local_addresses) {
  if (std::find(local_addresses.begin(), local_addresses.end(), id.vip.addr) !=
      local_addresses.end()) {
    return absl::OkStatus();
  }
  const std::string vip = FormatAddress(id.vip.addr);
  return absl::FailedPreconditionError(absl::StrCat(
      "VIP ", vip, " of ", FormatServiceId(id),
      " is not an address of this node, so no packet for it would arrive: add it first "
      "(ip address add ", vip, "/32 dev PORT) and try again"));
}

absl::StatusOr<ServiceLine> ParseServiceLine(absl::string_view text) {
  const std::vector<absl::string_view> w = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
  if (w.empty() || w.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': expected VIP:PORT/tcp|udp [rr|wrr|lc]"));
  }
  absl::StatusOr<ServiceId> id = ParseServiceId(w[0]);
  if (!id.ok()) return id.status();
  ServiceLine line{*id};
  if (w.size() == 2) {
    if (!IsKnownScheduler(w[1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("scheduler '", w[1], "': expected rr, wrr or lc"));
    }
    line.scheduler = std::string(w[1]);
  }
  return line;
}

absl::StatusOr<BackendLine> ParseBackendLine(absl::string_view text) {
  const std::vector<absl::string_view> w = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
  if (w.size() < 2 || w.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': expected VIP:PORT/tcp|udp ADDRESS:PORT [WEIGHT]"));
  }
  absl::StatusOr<ServiceId> id = ParseServiceId(w[0]);
  if (!id.ok()) return id.status();
  absl::StatusOr<Endpoint> backend = ParseEndpoint(w[1]);
  if (!backend.ok()) return backend.status();
  BackendLine line{*id, BackendConfig{*backend, 1}};
  if (w.size() == 3 && (!absl::SimpleAtoi(w[2], &line.backend.weight) ||
                        line.backend.weight > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("weight '", w[2], "': expected 0..65535"));
  }
  return line;
}

std::string FormatAddress(uint32_t addr) {
  return absl::StrCat(addr >> 24, ".", (addr >> 16) & 0xff, ".", (addr >> 8) & 0xff, ".",
                      addr & 0xff);
}

std::string FormatEndpoint(const Endpoint& e) {
  return absl::StrCat(FormatAddress(e.addr), ":", e.port);
}

std::string FormatServiceId(const ServiceId& s) {
  return absl::StrCat(FormatEndpoint(s.vip), "/", ProtoName(s.proto));
}

const char* ProtoName(uint8_t proto) {
  return proto == kProtoTcp ? "tcp" : proto == kProtoUdp ? "udp" : "?";
}

}  // namespace dmpd::vs
