// SPDX-License-Identifier: BSD-3-Clause
// Hello: neighbour discovery, sent on each port. Every TLV is optional and an empty
// payload is a valid hello (the first daemon sent exactly that).
#ifndef DMPD_COMMON_HELLO_H_
#define DMPD_COMMON_HELLO_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"
#include "common/field_group.h"

namespace dmpd {

struct Hello {
  static constexpr uint8_t kKind = DMPD_KIND_HELLO;
  std::optional<MacAddress> port_mac;
  std::optional<uint16_t> port_count;
  std::optional<uint32_t> term;     // the highest election term the sender knows
  std::optional<std::string> name;  // host name, 1..kMaxHelloName bytes
  friend bool operator==(const Hello&, const Hello&) = default;
};

// Appends the payload to `out`; fails if `name` is empty or too long.
absl::Status EncodeBody(const Hello& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, Hello* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_HELLO_H_
