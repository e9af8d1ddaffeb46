// SPDX-License-Identifier: BSD-3-Clause
// MetricsHttpServer: serves GET /metrics (Prometheus text format, OPS-2) from its own
// thread with cpp-httplib. It only calls `render`, which reads the monitor's latest
// published sample: nothing here runs on an lcore. Loopback by default (REL-4).
#ifndef DMPD_USERSPACE_MONITOR_METRICS_HTTP_SERVER_H_
#define DMPD_USERSPACE_MONITOR_METRICS_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace dmpd::monitor {

class NodeMonitor;

struct MetricsHttpOptions {
  std::string address = "127.0.0.1";  // "0.0.0.0" or a lab address to be scraped
  uint16_t port = 9478;               // 0: any free port (tests)
};

class MetricsHttpServer {
 public:
  using RenderFn = std::function<std::string()>;

  // Binds, then serves in a thread until destroyed. `render` produces the /metrics body.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const MetricsHttpOptions& options,
                                                                  RenderFn render);
  // The same for a NodeMonitor's latest sample (503 before the first one).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const MetricsHttpOptions& options,
                                                                  const NodeMonitor& monitor);
  ~MetricsHttpServer();  // stops serving and joins the thread

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  uint16_t port() const;
  std::string url() const;  // http://address:port/metrics, as dmpd-lab status lists it

 private:
  struct Impl;
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_METRICS_HTTP_SERVER_H_
