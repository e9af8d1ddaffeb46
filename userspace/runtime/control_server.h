// SPDX-License-Identifier: BSD-3-Clause
// ControlServer: the daemon's Unix socket for dmpdctl (mode 0660, REL-4). One request per
// connection: a line with a command and its arguments, answered with one JSON document
// from the CommandRegistry. Event-driven on the EventLoop through a ConnectionServer, so
// no client, however slow or however many, holds up the main loop (REL-5).
#ifndef DMPD_USERSPACE_RUNTIME_CONTROL_SERVER_H_
#define DMPD_USERSPACE_RUNTIME_CONTROL_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "userspace/runtime/command_registry.h"
#include "userspace/runtime/connection_server.h"

namespace dmpd {

class ControlServer {
 public:
  // Creates the socket's directory if it is missing (and removes it again on exit, if
  // empty); refuses a socket a live daemon answers on.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(EventLoop& loop,
                                                              const std::string& path,
                                                              ConnectionLimits limits,
                                                              const CommandRegistry& commands);
  ~ControlServer();

  ConnectionStats stats() const { return server_->stats(); }

 private:
  ControlServer(std::string path, std::string made_dir)
      : path_(std::move(path)), made_dir_(std::move(made_dir)) {}
  std::string path_;
  std::string made_dir_;
  std::unique_ptr<ConnectionServer> server_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_CONTROL_SERVER_H_
