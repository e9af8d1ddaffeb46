// SPDX-License-Identifier: BSD-3-Clause
// ControlServer: the daemon's Unix socket for dmpdctl (mode 0660, REL-4). One request per
// connection: a line with a command name, answered by one JSON document. Served from the
// main lcore's loop; never from the packet path.
#ifndef DMPD_USERSPACE_DAEMON_CONTROL_SERVER_H_
#define DMPD_USERSPACE_DAEMON_CONTROL_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "userspace/xdp/unique_fd.h"

namespace dmpd {

class ControlServer {
 public:
  using Handler = std::function<std::string(absl::string_view command)>;

  // Binds `path`, replacing a stale socket file but refusing one a live daemon answers on.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& path);
  ~ControlServer();

  int fd() const { return listen_.get(); }
  // Serves one pending connection, if any.
  void ServeOne(const Handler& handler);

 private:
  ControlServer(UniqueFd fd, std::string path) : listen_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd listen_;
  std::string path_;
  std::string made_dir_;  // the socket's directory, if we created it
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_CONTROL_SERVER_H_
