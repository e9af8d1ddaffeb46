// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/command_registry.h"

#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dmpd {
namespace {

using nlohmann::json;

json Error(absl::string_view message) { return json{{"error", std::string(message)}}; }

}  // namespace

CommandRegistry::CommandRegistry() {
  Register("status", "", "identity, ports, counters and every module's state",
           [this](const Args&) -> absl::StatusOr<json> { return Status(); });
  Register("help", "", "the commands this daemon answers", [this](const Args&) {
    json list = json::array();
    for (const auto& [name, c] : commands_) {
      list.push_back({{"command", name}, {"usage", c.usage}, {"help", c.help}});
    }
    return absl::StatusOr<json>(json{{"commands", list}});
  });
}

void CommandRegistry::Register(const std::string& name, const std::string& usage,
                               const std::string& help, CommandFn fn) {
  commands_[name] = Command{usage, help, std::move(fn)};
}

void CommandRegistry::AddStatusSection(StatusSection section) {
  status_sections_.push_back(std::move(section));
}

json CommandRegistry::Status() const {
  json status = json::object();
  for (const StatusSection& section : status_sections_) section(status);
  return status;
}

std::string CommandRegistry::Handle(absl::string_view request) const {
  json reply;
  try {
    request = request.substr(0, request.find('\n'));
    const Args words = absl::StrSplit(request, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty());
    if (words.empty()) {
      reply = Error("empty request: send a command name (try 'help')");
    } else if (auto it = commands_.find(words[0]); it == commands_.end()) {
      reply = Error(absl::StrCat("unknown command '", words[0], "' (try 'help')"));
    } else {
      absl::StatusOr<json> r = it->second.fn(Args(words.begin() + 1, words.end()));
      reply = r.ok() ? *std::move(r) : Error(r.status().message());
    }
  } catch (const std::exception& e) {
    reply = Error(absl::StrCat("internal error: ", e.what()));
  }
  return DumpForClient(reply);
}

std::string DumpForClient(const json& j) {
  try {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception&) {
    return R"({"error":"reply could not be serialised"})";
  }
}

}  // namespace dmpd
