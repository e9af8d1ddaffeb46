// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/control_server.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace dmpd {

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Listen(
    EventLoop& loop, const std::string& path, ConnectionLimits limits,
    const CommandRegistry& commands) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const bool made_dir = !dir.empty() && !std::filesystem::exists(dir, ec);
  if (made_dir) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::InternalError(absl::StrCat("creating ", dir.string(), ": ", ec.message()));
  }
  std::unique_ptr<ControlServer> s(new ControlServer(path, made_dir ? dir.string() : ""));
  auto fd = ListenUnix(path);
  if (!fd.ok()) {
    return absl::Status(fd.status().code(), absl::StrCat("control socket: ", fd.status().message()));
  }
  auto reply = [&commands](absl::string_view request) {
    return commands.Handle(request) + "\n";
  };
  RequestProtocol lines{
      .request_end = [](absl::string_view buffered) -> size_t {
        const size_t nl = buffered.find('\n');
        return nl == absl::string_view::npos ? 0 : nl + 1;
      },
      .reply = reply,
      .too_large_reply =
          [] {
            return std::string(
                R"({"error":"request too large: a command line is at most 64 KiB"})"
                "\n");
          },
      // `echo -n status | socat ...`: a request that ends with the client's half-close.
      .reply_on_eof = reply,
  };
  auto server = ConnectionServer::Create(loop, *std::move(fd), limits, std::move(lines));
  if (!server.ok()) return server.status();
  s->server_ = *std::move(server);
  return s;
}

ControlServer::~ControlServer() {
  if (server_ != nullptr) {  // never unlink a socket that another daemon serves
    server_.reset();
    ::unlink(path_.c_str());
  }
  if (!made_dir_.empty()) ::rmdir(made_dir_.c_str());  // only if empty: others may share it
}

}  // namespace dmpd
