// SPDX-License-Identifier: BSD-3-Clause
// MacAddress: an Ethernet address in wire order, and how people read it.
#ifndef DMPD_COMMON_MAC_ADDRESS_H_
#define DMPD_COMMON_MAC_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>

namespace dmpd {

using MacAddress = std::array<uint8_t, 6>;

// "02:00:00:00:00:0a"
std::string FormatMac(const MacAddress& mac);

}  // namespace dmpd

#endif  // DMPD_COMMON_MAC_ADDRESS_H_
