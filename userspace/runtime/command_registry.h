// SPDX-License-Identifier: BSD-3-Clause
// CommandRegistry: the control socket's table of commands (STYLE.md 15). Each module
// registers its own `dmpdctl` commands and its own part of `status`; the daemon only
// wires them. Handle() turns any request bytes into exactly one valid JSON document:
// unknown commands, bad arguments, invalid UTF-8 and exceptions all become
// {"error": "..."}, and nothing is thrown back into the event loop (REL-1, REL-5).
#ifndef DMPD_USERSPACE_RUNTIME_COMMAND_REGISTRY_H_
#define DMPD_USERSPACE_RUNTIME_COMMAND_REGISTRY_H_

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dmpd {

class CommandRegistry {
 public:
  using Args = std::vector<std::string>;
  using CommandFn = std::function<absl::StatusOr<nlohmann::json>(const Args& args)>;
  // Adds its keys to the `status` document; sections run in the order they were added, so
  // a later one may add to what an earlier one built (e.g. to each port's object).
  using StatusSection = std::function<void(nlohmann::json& status)>;

  CommandRegistry();

  // `usage` is the argument synopsis ("PORT"), `help` one line. Names are unique.
  void Register(const std::string& name, const std::string& usage, const std::string& help,
                CommandFn fn);
  void AddStatusSection(StatusSection section);

  // One request line (the command and its space-separated arguments) to one reply
  // document, without a trailing newline.
  std::string Handle(absl::string_view request) const;

  nlohmann::json Status() const;

 private:
  struct Command {
    std::string usage;
    std::string help;
    CommandFn fn;
  };
  std::map<std::string, Command> commands_;
  std::vector<StatusSection> status_sections_;
};

// Serialises `j` for a client: bytes that are not UTF-8 (echoed names, interface names)
// are replaced with U+FFFD instead of throwing.
std::string DumpForClient(const nlohmann::json& j);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_COMMAND_REGISTRY_H_
