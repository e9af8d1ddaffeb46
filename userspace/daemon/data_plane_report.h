// SPDX-License-Identifier: BSD-3-Clause
// What the data plane tells operators and the monitor: each port's counters from every
// layer (PMD, XDP program, AF_XDP socket, kernel, daemon) as the `status` ports, and the
// same counters as the monitor's SampleInputs. On the main lcore; reads, never waits for
// the worker.
#ifndef DMPD_USERSPACE_DAEMON_DATA_PLANE_REPORT_H_
#define DMPD_USERSPACE_DAEMON_DATA_PLANE_REPORT_H_

#include <nlohmann/json.hpp>

#include "userspace/control/control_channel.h"
#include "userspace/daemon/data_plane.h"
#include "userspace/monitor/kernel_port_collector.h"
#include "userspace/monitor/sample_inputs.h"

namespace dmpd {

// status["ports"] and status["worker"]. Frames rejected by the worker (header) and by the
// control channel (everything after) are reported together by reason.
void ReportDataPlane(const DataPlane& dp, const ControlChannel& channel,
                     monitor::KernelPortCollector& kernel_ports, nlohmann::json& status);

// `port_bandwidth_mbps`: eq. (3)'s BW for ports that report no speed (0: none).
monitor::SampleInputs CollectSampleInputs(const DataPlane& dp, uint64_t port_bandwidth_mbps);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_DATA_PLANE_REPORT_H_
