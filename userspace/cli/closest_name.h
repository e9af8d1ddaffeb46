// SPDX-License-Identifier: BSD-3-Clause
// "Did you mean": the known name closest to a mistyped one, as git and cargo suggest
// subcommands. Used for commands, flags and settings alike.
#ifndef DMPD_USERSPACE_CLI_CLOSEST_NAME_H_
#define DMPD_USERSPACE_CLI_CLOSEST_NAME_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmpd {

// The candidate with the fewest single-character edits (insert, delete, substitute, swap of
// two neighbours) from `typed`, if it is close enough to be a typo: at most a third of the
// longer name's length, and at least one edit allowed. Ties go to the earlier candidate.
std::optional<std::string> ClosestName(std::string_view typed,
                                       const std::vector<std::string>& candidates);

// " (did you mean 'NAME'?)" for the closest candidate, or "" when none is close: ready to
// append to an "unknown X 'typed'" message.
std::string DidYouMean(std::string_view typed, const std::vector<std::string>& candidates);

// The number of edits ClosestName counts (optimal string alignment distance).
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_CLI_CLOSEST_NAME_H_
