// SPDX-License-Identifier: BSD-3-Clause
#include "common/mac_address.h"

#include "absl/strings/str_format.h"

namespace dmpd {

std::string FormatMac(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

}  // namespace dmpd
