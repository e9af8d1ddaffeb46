// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd::monitor {

absl::StatusOr<std::string> ReadTextFile(const std::filesystem::path& path) {
  // Plain read(2): sysfs attributes report their errors (EINVAL for a veth's speed) from
  // read, and iostreams would hide errno.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path.string()));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::ErrnoToStatus(err, absl::StrCat("read ", path.string()));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

absl::StatusOr<std::string> ReadFirstLine(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  std::string_view line = *text;
  line = line.substr(0, line.find('\n'));
  return std::string(TrimBlanks(line));
}

std::string_view TrimBlanks(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\n\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n\r") - first + 1);
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    i = line.find_first_not_of(" \t", i);
    if (i == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t", i), line.size());
    out.push_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t nl = std::min(text.find('\n'), text.size());
    if (!TrimBlanks(text.substr(0, nl)).empty()) out.push_back(text.substr(0, nl));
    text.remove_prefix(std::min(nl + 1, text.size()));
  }
  return out;
}

std::optional<double> ParseDouble(std::string_view text) {
  text = TrimBlanks(text);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseUint64(std::string_view text, int base) {
  text = TrimBlanks(text);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ReadUint64File(const std::filesystem::path& path) {
  absl::StatusOr<std::string> line = ReadFirstLine(path);
  if (!line.ok()) return std::nullopt;
  return ParseUint64(*line);
}

std::optional<int64_t> ReadInt64File(const std::filesystem::path& path) {
  absl::StatusOr<std::string> line = ReadFirstLine(path);
  if (!line.ok()) return std::nullopt;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(line->data(), line->data() + line->size(), v);
  if (ec != std::errc() || end != line->data() + line->size() || line->empty()) {
    return std::nullopt;
  }
  return v;
}

std::vector<std::string> ListDirectory(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace dmpd::monitor
