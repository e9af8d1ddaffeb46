// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/metrics_endpoint.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dmpd {
namespace {

std::string Response(absl::string_view status, absl::string_view content_type,
                     absl::string_view body, bool with_body = true) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n",
                      with_body ? body : "");
}

constexpr absl::string_view kText = "text/plain; charset=utf-8";

size_t HeadEnd(absl::string_view buffered) {
  for (absl::string_view end : {"\r\n\r\n", "\n\n"}) {
    if (size_t at = buffered.find(end); at != absl::string_view::npos) return at + end.size();
  }
  return 0;
}

}  // namespace

std::string AnswerHttp(absl::string_view head, absl::string_view content_type,
                       const MetricsEndpoint::RenderFn& render) {
  const absl::string_view line = head.substr(0, head.find_first_of("\r\n"));
  const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
    return Response("400 Bad Request", kText, "bad request\n");
  }
  const bool head_only = parts[0] == "HEAD";
  if (parts[0] != "GET" && !head_only) {
    return Response("405 Method Not Allowed", kText, "only GET\n");
  }
  const absl::string_view path = parts[1].substr(0, parts[1].find('?'));
  if (path == "/") {
    return Response("200 OK", "text/html; charset=utf-8",
                    "<html><body><a href=\"/metrics\">/metrics</a></body></html>\n", !head_only);
  }
  if (path != "/metrics") return Response("404 Not Found", kText, "not found; try /metrics\n");
  std::optional<std::string> body = render();
  if (!body) return Response("503 Service Unavailable", kText, "no sample yet\n");
  return Response("200 OK", content_type, *body, !head_only);
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    EventLoop& loop, const MetricsEndpointOptions& options, RenderFn render) {
  auto fd = ListenTcp(options.address, options.port);
  if (!fd.ok()) return fd.status();
  const uint16_t port = BoundTcpPort(fd->get());
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint(options.address, port));
  e->content_type_ = options.content_type;
  e->render_ = std::move(render);
  MetricsEndpoint* self = e.get();
  RequestProtocol http{
      .request_end = HeadEnd,
      .reply = [self](absl::string_view head) { return AnswerHttp(head, self->content_type_, self->render_); },
      .too_large_reply =
          [] { return Response("431 Request Header Fields Too Large", kText, "too large\n"); },
      .reply_on_eof = nullptr,
  };
  auto server = ConnectionServer::Create(loop, *std::move(fd), options.limits, std::move(http));
  if (!server.ok()) return server.status();
  e->server_ = *std::move(server);
  return e;
}

std::string MetricsEndpoint::url() const {
  return absl::StrCat("http://", address_, ":", port_, "/metrics");
}

}  // namespace dmpd
