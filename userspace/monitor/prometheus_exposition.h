// SPDX-License-Identifier: BSD-3-Clause
// The node's monitoring sample as Prometheus metrics (OPS-2): names dmpd_<area>_<what>
// in base units (_bytes, _bits, _seconds, _celsius, _volts), _total for counters, ratios
// 0..1, labels node/port/queue/lcore/pipe. docs/monitoring.md lists every family.
#ifndef DMPD_USERSPACE_MONITOR_PROMETHEUS_EXPOSITION_H_
#define DMPD_USERSPACE_MONITOR_PROMETHEUS_EXPOSITION_H_

#include <string>

#include "userspace/monitor/node_sample.h"

namespace dmpd::monitor {

// The Content-Type of what RenderPrometheus returns.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Text exposition format 0.0.4. What is not available is absent, never 0.
std::string RenderPrometheus(const NodeSample& sample);

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_PROMETHEUS_EXPOSITION_H_
