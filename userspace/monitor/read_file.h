// SPDX-License-Identifier: BSD-3-Clause
// Reading procfs/sysfs files. Every collector reads below a configurable root (like
// node_exporter's --path.procfs / --path.sysfs), so tests point them at fixture trees.
#ifndef DMPD_USERSPACE_MONITOR_READ_FILE_H_
#define DMPD_USERSPACE_MONITOR_READ_FILE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dmpd::monitor {

// The whole file. Errors carry the path and errno (a veth's `speed` fails with EINVAL).
absl::StatusOr<std::string> ReadTextFile(const std::filesystem::path& path);

// The first line without surrounding blanks ("up", "1500", "-1").
absl::StatusOr<std::string> ReadFirstLine(const std::filesystem::path& path);

// A decimal integer file, or nullopt when the file is missing, unreadable or not a number:
// a source that is not there is "not available", never 0.
std::optional<uint64_t> ReadUint64File(const std::filesystem::path& path);
std::optional<int64_t> ReadInt64File(const std::filesystem::path& path);

// The names in a directory, sorted; empty when it does not exist.
std::vector<std::string> ListDirectory(const std::filesystem::path& dir);

// Text helpers on std::string_view (Debian's Abseil has its own string_view type).
std::string_view TrimBlanks(std::string_view text);
std::vector<std::string_view> SplitFields(std::string_view line);  // on blanks
std::vector<std::string_view> SplitLines(std::string_view text);   // non-blank lines

// "123" → 123, "0.5" → 0.5; nullopt for anything else.
std::optional<uint64_t> ParseUint64(std::string_view text, int base = 10);
std::optional<double> ParseDouble(std::string_view text);

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_READ_FILE_H_
