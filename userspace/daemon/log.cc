// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/log.h"

#include <bpf/libbpf.h>
#include <rte_log.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <string>

#include "absl/strings/strip.h"

namespace dmpd {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kDebug:
      return "DEBUG";
  }
  return "?";
}

int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  LogLevel ours = level == LIBBPF_WARN   ? LogLevel::kWarning
                  : level == LIBBPF_INFO ? LogLevel::kDebug  // chatter unless -v
                                         : LogLevel::kDebug;
  if (!LogEnabled(ours)) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), format, args);
  Log(ours, "libbpf", absl::StripTrailingAsciiWhitespace(buf));
  return n;
}

// DPDK writes whole formatted lines to a FILE*; a cookie stream hands them to Log().
ssize_t DpdkWrite(void*, const char* data, size_t size) {
  uint32_t level = rte_log_cur_msg_loglevel();
  LogLevel ours = level <= RTE_LOG_ERR       ? LogLevel::kError
                  : level <= RTE_LOG_WARNING ? LogLevel::kWarning
                  : level <= RTE_LOG_INFO    ? LogLevel::kInfo
                                             : LogLevel::kDebug;
  if (LogEnabled(ours)) {
    Log(ours, "dpdk", absl::StripTrailingAsciiWhitespace(absl::string_view(data, size)));
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

bool LogEnabled(LogLevel level) { return level <= g_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, absl::string_view component, absl::string_view message) {
  if (!LogEnabled(level)) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %.*s: %.*s\n", t.tm_year + 1900,
          t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
          LevelName(level), static_cast<int>(component.size()), component.data(),
          static_cast<int>(message.size()), message.data());
}

void RouteLibraryLogs() {
  libbpf_set_print(LibbpfPrint);
  cookie_io_functions_t io{.read = nullptr, .write = DpdkWrite, .seek = nullptr, .close = nullptr};
  if (FILE* stream = fopencookie(nullptr, "w", io)) {
    setvbuf(stream, nullptr, _IOLBF, 0);
    rte_openlog_stream(stream);
  }
}

}  // namespace dmpd
