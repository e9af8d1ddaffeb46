// SPDX-License-Identifier: BSD-3-Clause
// What dmpd-perf tells its user besides the JSON: the result as a readable table, and
// why a run did not do what it was asked (then it exits 1 with that reason on stderr).
#ifndef DMPD_TOOLS_DMPD_PERF_PERF_REPORT_H_
#define DMPD_TOOLS_DMPD_PERF_PERF_REPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace dmpd::perf {

// The result's keys, one a line, values rounded for reading (rates to whole units,
// latencies and seconds to 0.1 and 0.001); nested objects on one line as `key value`.
std::string ResultTable(const nlohmann::json& result);

// "" when a receiver got everything it expected, else the reason: messages lost or
// corrupt, or nothing at all (no message and no ping to echo) within the silence it waits
// (`timeout_s`).
std::string RecvShortfall(uint64_t expected, uint64_t received, uint64_t lost, uint64_t corrupt,
                          uint64_t pings_echoed, double timeout_s);

// "" when some pong came back, else why none did: the daemon had no route to the node
// (`no_route` > 0: not in its cluster view nor heard on a port), or nobody answered.
std::string PingShortfall(uint64_t sent, uint64_t received, uint64_t no_route, uint64_t node,
                          uint64_t pipe);

// "" unless the daemon dropped messages for want of a route to the node.
std::string SendShortfall(uint64_t sent, uint64_t no_route, uint64_t node);

}  // namespace dmpd::perf

#endif  // DMPD_TOOLS_DMPD_PERF_PERF_REPORT_H_
