// SPDX-License-Identifier: BSD-3-Clause
#include "tools/dmpd-perf/perf_report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dmpd::perf {

using nlohmann::json;

namespace {

// Whole numbers as they are; fractions to a precision that reads: rates (large) whole,
// microseconds to 0.1, seconds and small ratios to 0.001.
std::string Value(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return v.dump();
    const double a = std::fabs(d);
    const int decimals = a >= 1000 ? 0 : a >= 10 ? 1 : 3;
    return absl::StrFormat("%.*f", decimals, d);
  }
  if (v.is_object()) {
    std::string out;
    for (auto it = v.begin(); it != v.end(); ++it) {
      absl::StrAppend(&out, out.empty() ? "" : "  ", it.key(), " ", Value(*it));
    }
    return out.empty() ? "-" : out;
  }
  if (v.is_null()) return "-";
  return v.dump();
}

}  // namespace

std::string ResultTable(const json& result) {
  std::string out;
  for (auto it = result.begin(); it != result.end(); ++it) {
    absl::StrAppend(&out, absl::StrFormat("%-16s %s\n", it.key(), Value(*it)));
  }
  return out;
}

std::string RecvShortfall(uint64_t expected, uint64_t received, uint64_t lost, uint64_t corrupt,
                          uint64_t pings_echoed, double timeout_s) {
  if (received == 0 && corrupt == 0 && lost == 0 && pings_echoed == 0) {
    return absl::StrFormat(
        "received nothing (waited %g s of silence): is the sender running, and sending to "
        "this node and pipe?",
        timeout_s);
  }
  std::string why;
  if (lost > 0) why = absl::StrCat(lost, " of ", expected, " messages lost");
  if (corrupt > 0) absl::StrAppend(&why, why.empty() ? "" : ", ", corrupt, " corrupt");
  return why;
}

std::string PingShortfall(uint64_t sent, uint64_t received, uint64_t no_route, uint64_t node,
                          uint64_t pipe) {
  if (received > 0 || sent == 0) return "";
  if (no_route > 0) {
    return absl::StrCat("no route to node ", node,
                        ": it is not in this node's cluster view nor heard on any port");
  }
  return absl::StrCat("no answer to ", sent, " pings from node ", node, " pipe ", pipe,
                      ": is `dmpd-perf recv --pipe ", pipe, "` (or an echo) running there?");
}

std::string SendShortfall(uint64_t sent, uint64_t no_route, uint64_t node) {
  if (no_route == 0) return "";
  return absl::StrCat(no_route, " of ", sent, " messages had no route to node ", node,
                      ": it is not in this node's cluster view nor heard on any port");
}

}  // namespace dmpd::perf
