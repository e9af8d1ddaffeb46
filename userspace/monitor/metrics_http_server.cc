// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/metrics_http_server.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "userspace/monitor/node_monitor.h"
#include "userspace/monitor/prometheus_exposition.h"

namespace dmpd::monitor {

// An empty body from `render` means "nothing sampled yet".
struct MetricsHttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::string address;
  uint16_t port = 0;
};

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const MetricsHttpOptions& options, RenderFn render) {
  auto impl = std::make_unique<Impl>();
  httplib::Server& s = impl->server;
  // One worker: scrapes are rare and a node may run next to twenty others on two cores.
  s.new_task_queue = [] { return new httplib::ThreadPool(1); };
  s.Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
    std::string body = render();
    if (body.empty()) {
      res.status = 503;
      res.set_content("no monitoring sample yet\n", "text/plain");
      return;
    }
    res.set_content(std::move(body), kPrometheusContentType);
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("dmpd metrics: /metrics\n", "text/plain");
  });
  int port = options.port;
  if (port == 0) {
    port = s.bind_to_any_port(options.address);
  } else if (!s.bind_to_port(options.address, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", options.address, ":",
                                               options.port,
                                               " (address in use, or not on this host?)"));
  }
  impl->address = options.address;
  impl->port = static_cast<uint16_t>(port);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  // httplib's stop() does nothing until the listen loop runs; a server destroyed before
  // that would then listen forever and hang the daemon's shutdown in join().
  for (int i = 0; i < 5000 && !raw->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!raw->server.is_running()) {
    raw->server.stop();
    raw->thread.detach();  // stuck in listen; the process is failing anyway
    return absl::InternalError("metrics: the HTTP server did not start within 5 s");
  }
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const MetricsHttpOptions& options, const NodeMonitor& monitor) {
  return Start(options, [&monitor] {
    std::shared_ptr<const NodeSample> s = monitor.Latest();
    return s ? RenderPrometheus(*s) : std::string();
  });
}

uint16_t MetricsHttpServer::port() const { return impl_->port; }

std::string MetricsHttpServer::url() const {
  const bool v6 = impl_->address.find(':') != std::string::npos;
  return absl::StrCat("http://", v6 ? "[" : "", impl_->address, v6 ? "]" : "", ":", impl_->port,
                      "/metrics");
}

}  // namespace dmpd::monitor
