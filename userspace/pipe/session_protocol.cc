// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/session_protocol.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "userspace/pipe/message_ring.h"

namespace dmpd::pipe {
namespace {

using nlohmann::json;

constexpr uint64_t kPage = 4096;

json ConfigJson(const PipeConfig& c) {
  return {{"pipe", c.pipe},
          {"priority", c.priority},
          {"rate_bytes_per_s", c.rate_bytes_per_s},
          {"burst_bytes", c.burst_bytes},
          {"buffer_bytes", c.buffer_bytes},
          {"copies", c.copies}};
}

// Reads an unsigned field that must fit `T`; absent keeps the default.
template <typename T>
absl::Status Field(const json& j, const char* key, T* out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) {
    return required ? absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""))
                    : absl::OkStatus();
  }
  if (!it->is_number_unsigned()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is not an unsigned number"));
  }
  const uint64_t v = it->get<uint64_t>();
  if (v > std::numeric_limits<T>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is out of range"));
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::StatusOr<PipeConfig> ConfigFrom(const json& j) {
  PipeConfig c;
  for (absl::Status s : {Field(j, "pipe", &c.pipe, true), Field(j, "priority", &c.priority),
                         Field(j, "rate_bytes_per_s", &c.rate_bytes_per_s),
                         Field(j, "burst_bytes", &c.burst_bytes),
                         Field(j, "buffer_bytes", &c.buffer_bytes), Field(j, "copies", &c.copies)}) {
    if (!s.ok()) return s;
  }
  if (absl::Status s = ValidatePipeConfig(c); !s.ok()) return s;
  return c;
}

// The "granted" object of an open or resize reply.
absl::StatusOr<PipeConfig> GrantedFrom(const json& reply) {
  auto g = reply.find("granted");
  if (g == reply.end() || !g->is_object()) return absl::InvalidArgumentError("missing \"granted\"");
  return ConfigFrom(*g);
}

absl::StatusOr<json> Parse(std::string_view datagram) {
  json j = json::parse(datagram, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  return j;
}

absl::StatusCode CodeFromName(const std::string& name) {
  for (int c = 0; c <= static_cast<int>(absl::StatusCode::kUnauthenticated); ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == name) return code;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

absl::Status ValidatePipeConfig(const PipeConfig& c) {
  if (c.pipe > kMaxPipeId) return absl::InvalidArgumentError("pipe id 0xFFFF is reserved");
  if (c.priority > kMaxPriority) {
    return absl::InvalidArgumentError(absl::StrCat("priority is 0..", kMaxPriority));
  }
  if (c.copies < 1 || c.copies > kMaxCopies) {
    return absl::InvalidArgumentError(absl::StrCat("copies is 1..", kMaxCopies));
  }
  if (c.buffer_bytes == 0 || c.buffer_bytes > (uint64_t{1} << 30)) {
    return absl::InvalidArgumentError("buffer_bytes is 1 .. 1 GiB");
  }
  return absl::OkStatus();
}

std::string EncodeRequest(const SessionRequest& r) {
  json j;
  if (const auto* o = std::get_if<OpenRequest>(&r)) {
    j = ConfigJson(o->config);
    j["op"] = "open";
  } else if (const auto* re = std::get_if<ReconfigureRequest>(&r)) {
    j = ConfigJson(re->config);
    j["op"] = "reconfigure";
  } else if (const auto* c = std::get_if<CloseRequest>(&r)) {
    j = {{"op", "close"}, {"pipe", c->pipe}};
  } else {
    j = {{"op", "stats"}, {"pipe", std::get<StatsRequest>(r).pipe}};
  }
  j["version"] = kSessionProtocolVersion;
  return j.dump();
}

absl::StatusOr<SessionRequest> DecodeRequest(std::string_view datagram) {
  absl::StatusOr<json> j = Parse(datagram);
  if (!j.ok()) return j.status();
  auto op = j->find("op");
  if (op == j->end() || !op->is_string()) return absl::InvalidArgumentError("missing \"op\"");
  const std::string name = op->get<std::string>();
  if (name == "open" || name == "reconfigure") {
    absl::StatusOr<PipeConfig> c = ConfigFrom(*j);
    if (!c.ok()) return c.status();
    if (name == "open") return OpenRequest{*c};
    return ReconfigureRequest{*c};
  }
  uint16_t pipe = 0;
  if (absl::Status s = Field(*j, "pipe", &pipe, true); !s.ok()) return s;
  if (name == "close") return CloseRequest{pipe};
  if (name == "stats") return StatsRequest{pipe};
  return absl::InvalidArgumentError(absl::StrCat("unknown op \"", name, "\""));
}

std::string EncodeReply(const SessionReply& r) {
  json j = {{"ok", true}};
  if (const auto* o = std::get_if<OpenReply>(&r)) {
    j["kind"] = "open";
    j["pipe"] = o->pipe;
    j["node"] = o->node;
    j["region_bytes"] = o->region_bytes;
    j["rx_offset"] = o->rx_offset;
    j["max_message"] = o->max_message;
    j["granted"] = ConfigJson(o->granted);
  } else if (const auto* z = std::get_if<ResizeReply>(&r)) {
    j["kind"] = "resize";
    j["region_bytes"] = z->region_bytes;
    j["rx_offset"] = z->rx_offset;
    j["granted"] = ConfigJson(z->granted);
  } else if (const auto* s = std::get_if<StatsReply>(&r)) {
    const PipeCounters& c = s->counters;
    j["kind"] = "stats";
    j["counters"] = {{"sent_messages", c.sent_messages},
                     {"sent_bytes", c.sent_bytes},
                     {"received_messages", c.received_messages},
                     {"received_bytes", c.received_bytes},
                     {"dropped_rx_full", c.dropped_rx_full},
                     {"dropped_no_route", c.dropped_no_route},
                     {"dropped_too_large", c.dropped_too_large},
                     {"degraded_copies", c.degraded_copies},
                     {"duplicates", c.duplicates},
                     {"rate_limited_ns", c.rate_limited_ns}};
  } else if (const auto* e = std::get_if<ErrorReply>(&r)) {
    j = {{"ok", false},
         {"code", absl::StatusCodeToString(e->status.code())},
         {"error", std::string(e->status.message())}};
  } else {
    j["kind"] = "ok";
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<SessionReply> DecodeReply(std::string_view datagram) {
  absl::StatusOr<json> j = Parse(datagram);
  if (!j.ok()) return j.status();
  if (!j->value("ok", false)) {
    const std::string code = j->value("code", std::string("UNKNOWN"));
    return ErrorReply{absl::Status(CodeFromName(code), j->value("error", std::string()))};
  }
  const std::string kind = j->value("kind", std::string());
  if (kind == "open") {
    OpenReply o;
    for (absl::Status s : {Field(*j, "pipe", &o.pipe, true), Field(*j, "node", &o.node, true),
                           Field(*j, "region_bytes", &o.region_bytes, true),
                           Field(*j, "rx_offset", &o.rx_offset, true),
                           Field(*j, "max_message", &o.max_message, true)}) {
      if (!s.ok()) return s;
    }
    absl::StatusOr<PipeConfig> c = GrantedFrom(*j);
    if (!c.ok()) return c.status();
    o.granted = *c;
    return o;
  }
  if (kind == "resize") {
    ResizeReply z;
    for (absl::Status s : {Field(*j, "region_bytes", &z.region_bytes, true),
                           Field(*j, "rx_offset", &z.rx_offset, true)}) {
      if (!s.ok()) return s;
    }
    absl::StatusOr<PipeConfig> c = GrantedFrom(*j);
    if (!c.ok()) return c.status();
    z.granted = *c;
    return z;
  }
  if (kind == "stats") {
    auto c = j->find("counters");
    if (c == j->end() || !c->is_object()) return absl::InvalidArgumentError("missing \"counters\"");
    StatsReply s;
    PipeCounters& k = s.counters;
    for (absl::Status st :
         {Field(*c, "sent_messages", &k.sent_messages), Field(*c, "sent_bytes", &k.sent_bytes),
          Field(*c, "received_messages", &k.received_messages),
          Field(*c, "received_bytes", &k.received_bytes),
          Field(*c, "dropped_rx_full", &k.dropped_rx_full),
          Field(*c, "dropped_no_route", &k.dropped_no_route),
          Field(*c, "dropped_too_large", &k.dropped_too_large),
          Field(*c, "degraded_copies", &k.degraded_copies), Field(*c, "duplicates", &k.duplicates),
          Field(*c, "rate_limited_ns", &k.rate_limited_ns)}) {
      if (!st.ok()) return st;
    }
    return s;
  }
  if (kind == "ok") return OkReply{};
  return absl::InvalidArgumentError(absl::StrCat("unknown reply kind \"", kind, "\""));
}

RegionLayout LayoutFor(uint64_t buffer_bytes, uint32_t max_message) {
  RegionLayout l;
  uint64_t capacity = MinRingCapacity(max_message);
  while (capacity < buffer_bytes) capacity <<= 1;
  l.ring_capacity = capacity;
  l.ring_region_bytes = RingRegionSize(capacity);
  l.rx_offset = (l.ring_region_bytes + kPage - 1) / kPage * kPage;
  l.total_bytes = l.rx_offset + (l.ring_region_bytes + kPage - 1) / kPage * kPage;
  return l;
}

}  // namespace dmpd::pipe
