// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/port_operand.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "userspace/cli/closest_name.h"

namespace dmpd {

std::string PortOperandHelp(const std::vector<std::string>& names) {
  if (names.empty()) return "this node has no ports";
  return absl::StrCat("PORT is an index 0..", names.size() - 1, " or a name (",
                      absl::StrJoin(names, ", "), ")");
}

absl::StatusOr<size_t> ParsePortOperand(absl::string_view operand,
                                        const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == operand) return i;
  }
  size_t index = 0;
  if (absl::SimpleAtoi(operand, &index) && index < names.size()) return index;
  return absl::NotFoundError(
      absl::StrCat("no port '", operand, "'",
                   DidYouMean(std::string_view(operand.data(), operand.size()), names), ": ",
                   PortOperandHelp(names)));
}

}  // namespace dmpd
