// SPDX-License-Identifier: BSD-3-Clause
// The dmpdctl views of monitoring (OPS-1): `node`, `ports` and `history PORT`. Each view is
// a JSON document built from a sample (what the control socket sends and `--json`
// prints), and the human table is printed from that same document (STYLE.md 10), laid
// out like the paper's Tables 3 (nodes) and 4 (ports). The table functions take an array
// of documents, one per node, so a cluster-wide view prints with the same code.
#ifndef DMPD_USERSPACE_MONITOR_MONITOR_VIEWS_H_
#define DMPD_USERSPACE_MONITOR_MONITOR_VIEWS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "userspace/monitor/node_sample.h"

namespace dmpd::monitor {

// Ratios stay ratios (0..1) and rates bits per second in JSON; tables show % and Mb/s.
// Not available is null in JSON and "-" in tables.
nlohmann::json NodeView(const NodeSample& sample);
nlohmann::json PortsView(const NodeSample& sample);
nlohmann::json PortHistoryView(const NodeSample& sample, std::string_view port,
                               const std::vector<PortHistoryEntry>& history);

// `views`: one view document or an array of them (one per node).
std::string FormatNodeTable(const nlohmann::json& views);
std::string FormatPortsTable(const nlohmann::json& views);
std::string FormatPortHistoryTable(const nlohmann::json& view);

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_MONITOR_VIEWS_H_
