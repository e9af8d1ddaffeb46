// SPDX-License-Identifier: BSD-3-Clause
// A port named on the command line: every command that takes a PORT accepts its index
// (`0`) and its interface name (`p0`, `eth1`), so an operator can type either.
#ifndef DMPD_USERSPACE_RUNTIME_PORT_OPERAND_H_
#define DMPD_USERSPACE_RUNTIME_PORT_OPERAND_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dmpd {

// The index of the port `operand` names among `names` (the ports in index order). A name
// wins over an index when an interface is called by a number. The error says what PORT
// may be, with the closest name when the operand looks like a typo.
absl::StatusOr<size_t> ParsePortOperand(absl::string_view operand,
                                        const std::vector<std::string>& names);

// "PORT is an index 0..N-1 or a name (p0, p1)", for usage messages.
std::string PortOperandHelp(const std::vector<std::string>& names);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_RUNTIME_PORT_OPERAND_H_
