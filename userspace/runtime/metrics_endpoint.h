// SPDX-License-Identifier: BSD-3-Clause
// MetricsEndpoint: GET /metrics in the Prometheus text format (OPS-2), served from the
// EventLoop by a ConnectionServer: per-connection deadline, bounded clients, one request
// per connection (Connection: close). A slow or hostile client can delay nobody but
// itself (REL-5). Loopback by default (REL-4).
#ifndef DMPD_USERSPACE_RUNTIME_METRICS_ENDPOINT_H_
#define DMPD_USERSPACE_RUNTIME_METRICS_ENDPOINT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "userspace/runtime/connection_server.h"

namespace dmpd {

struct MetricsEndpointOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 9478;  // 0: any free port (tests)
  std::string content_type = "text/plain; charset=utf-8";  // of the /metrics body
  ConnectionLimits limits{.max_clients = 32,
                          .client_timeout_ns = 1'000'000'000,
                          .max_request_bytes = 8 * 1024};
};

class MetricsEndpoint {
 public:
  // The /metrics body, or nullopt while there is nothing to report yet (503).
  using RenderFn = std::function<std::optional<std::string>()>;

  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(EventLoop& loop,
                                                               const MetricsEndpointOptions& options,
                                                               RenderFn render);

  uint16_t port() const { return port_; }
  std::string url() const;  // http://address:port/metrics
  ConnectionStats stats() const { return server_->stats(); }

 private:
  MetricsEndpoint(std::string address, uint16_t port) : address_(std::move(address)), port_(port) {}
  std::string address_;
  uint16_t port_;
  std::string content_type_;
  RenderFn render_;
  std::unique_ptr<ConnectionServer> server_;
};

// One HTTP/1.x request head to a complete response (exposed for tests).
std::string AnswerHttp(absl::string_view request_head, absl::string_view content_type,
                       const MetricsEndpoint::RenderFn& render);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_METRICS_ENDPOINT_H_
