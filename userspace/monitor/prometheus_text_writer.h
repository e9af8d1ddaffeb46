// SPDX-License-Identifier: BSD-3-Clause
// PrometheusTextWriter: the Prometheus text exposition format (version 0.0.4) — one
// # HELP / # TYPE header per family, then its samples, labels escaped, values exact for
// integers and shortest round-trip for doubles.
#ifndef DMPD_USERSPACE_MONITOR_PROMETHEUS_TEXT_WRITER_H_
#define DMPD_USERSPACE_MONITOR_PROMETHEUS_TEXT_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dmpd::monitor {

class PrometheusTextWriter {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string>>;

  // Starts a family; its header is written with its first sample, so a family that has
  // nothing to report (no sensors) leaves no trace. `type`: counter, gauge or untyped.
  void Family(std::string_view name, std::string_view type, std::string_view help);

  void Sample(const Labels& labels, uint64_t value);
  void Sample(const Labels& labels, double value);
  // Not available: no sample (absent, never 0).
  void Sample(const Labels& labels, std::optional<uint64_t> value);
  void Sample(const Labels& labels, std::optional<double> value);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeginSample(const Labels& labels);

  std::string out_;
  std::string name_;
  std::string pending_header_;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_PROMETHEUS_TEXT_WRITER_H_
