// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/command_registry.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "absl/strings/match.h"

#include "userspace/runtime/metrics_endpoint.h"

namespace dmpd {
namespace {

using nlohmann::json;

json Parse(const std::string& reply) {
  json j = json::parse(reply, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << reply;
  return j;
}

CommandRegistry MakeRegistry() {
  CommandRegistry r;
  r.Register("echo", "WORD...", "echoes", [](const CommandRegistry::Args& args) {
    return absl::StatusOr<json>(json{{"args", args}});
  });
  r.Register("throws", "", "a bug", [](const CommandRegistry::Args&) -> absl::StatusOr<json> {
    throw std::runtime_error("boom");
  });
  r.Register("fails", "", "an error", [](const CommandRegistry::Args&) -> absl::StatusOr<json> {
    return absl::NotFoundError("no such thing");
  });
  r.AddStatusSection([](json& s) { s["ports"] = json::array({json::object(), json::object()}); });
  r.AddStatusSection([](json& s) { s["ports"][1]["neighbours"] = 3; });
  return r;
}

TEST(CommandRegistry, DispatchesWithArguments) {
  CommandRegistry r = MakeRegistry();
  EXPECT_EQ(Parse(r.Handle("echo a  b\tc\n"))["args"], json({"a", "b", "c"}));
  EXPECT_EQ(Parse(r.Handle("fails"))["error"], "no such thing");
}

TEST(CommandRegistry, StatusSectionsBuildOnEachOther) {
  CommandRegistry r = MakeRegistry();
  const json s = Parse(r.Handle("status"));
  EXPECT_EQ(s["ports"].size(), 2u);
  EXPECT_EQ(s["ports"][1]["neighbours"], 3);
}

// Every request, however hostile, gets one valid JSON document (issue: a non-UTF-8 byte
// in a request used to abort the daemon from json::dump()).
TEST(CommandRegistry, AnyBytesGiveValidJson) {
  CommandRegistry r = MakeRegistry();
  for (const std::string& request :
       {std::string("st\xe9tus\n"), std::string("echo p\xff\n"), std::string("sta\0tus\n", 8),
        std::string(""), std::string("\n"), std::string("   "), std::string(70000, '\xc3'),
        std::string("throws")}) {
    const json j = Parse(r.Handle(request));
    EXPECT_TRUE(j.is_object()) << request.substr(0, 20);
  }
  EXPECT_EQ(Parse(r.Handle("throws"))["error"], "internal error: boom");
  EXPECT_NE(Parse(r.Handle("st\xe9tus"))["error"].get<std::string>().find("\xef\xbf\xbd"),
            std::string::npos);  // the bad byte shows as U+FFFD
  EXPECT_EQ(Parse(r.Handle("echo p\xff"))["args"][0], "p\xef\xbf\xbd");
}

TEST(CommandRegistry, HelpListsEveryCommand) {
  CommandRegistry r = MakeRegistry();
  const json h = Parse(r.Handle("help"));
  std::vector<std::string> names;
  for (const json& c : h["commands"]) names.push_back(c["command"]);
  EXPECT_EQ(names, (std::vector<std::string>{"echo", "fails", "help", "status", "throws"}));
}

TEST(AnswerHttp, ServesOnlyGetMetrics) {
  auto render = []() -> std::optional<std::string> { return "m 1\n"; };
  auto none = []() -> std::optional<std::string> { return std::nullopt; };
  const std::string ok = AnswerHttp("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "t/p", render);
  EXPECT_EQ(ok,
            "HTTP/1.1 200 OK\r\nContent-Type: t/p\r\nContent-Length: 4\r\n"
            "Connection: close\r\n\r\nm 1\n");
  EXPECT_TRUE(absl::StartsWith(AnswerHttp("GET /metrics?x=1 HTTP/1.0\r\n\r\n", "t", render),
                               "HTTP/1.1 200"));
  EXPECT_TRUE(absl::StartsWith(AnswerHttp("GET /metrics HTTP/1.1\r\n\r\n", "t", none),
                               "HTTP/1.1 503"));
  EXPECT_TRUE(absl::StartsWith(AnswerHttp("POST /metrics HTTP/1.1\r\n\r\n", "t", render),
                               "HTTP/1.1 405"));
  EXPECT_TRUE(absl::StartsWith(AnswerHttp("GET /etc/passwd HTTP/1.1\r\n\r\n", "t", render),
                               "HTTP/1.1 404"));
  EXPECT_TRUE(absl::StartsWith(AnswerHttp("\xff\xfe garbage\r\n\r\n", "t", render),
                               "HTTP/1.1 400"));
  const std::string head = AnswerHttp("HEAD /metrics HTTP/1.1\r\n\r\n", "t", render);
  EXPECT_TRUE(absl::EndsWith(head, "\r\n\r\n"));  // headers only
}

}  // namespace
}  // namespace dmpd
