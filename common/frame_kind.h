// SPDX-License-Identifier: BSD-3-Clause
// Names and classes of the frame kinds listed in DMPD_FRAME_KINDS (common/dmpd_wire.h).
#ifndef DMPD_COMMON_FRAME_KIND_H_
#define DMPD_COMMON_FRAME_KIND_H_

#include <cstdint>
#include <string_view>

#include "common/dmpd_wire.h"

namespace dmpd {

// Every kind, in list order: for tests, tools and the docs.
inline constexpr uint8_t kFrameKinds[] = {
#define DMPD_FRAME_KIND_VALUE(name, value, str) value,
    DMPD_FRAME_KINDS(DMPD_FRAME_KIND_VALUE)
#undef DMPD_FRAME_KIND_VALUE
};

constexpr bool IsKnownKind(uint8_t kind) {
  switch (kind) {
#define DMPD_FRAME_KIND_CASE(name, value, str) case value:
    DMPD_FRAME_KINDS(DMPD_FRAME_KIND_CASE)
#undef DMPD_FRAME_KIND_CASE
    return true;
  }
  return false;
}

// Control frames go to the main lcore and are authenticated when a key is set (PROTO-4).
constexpr bool IsControlKind(uint8_t kind) { return kind < DMPD_KIND_FIRST_DATA; }

constexpr std::string_view FrameKindName(uint8_t kind) {
  switch (kind) {
#define DMPD_FRAME_KIND_NAME(name, value, str) \
  case value:                                  \
    return str;
    DMPD_FRAME_KINDS(DMPD_FRAME_KIND_NAME)
#undef DMPD_FRAME_KIND_NAME
  }
  return "unknown";
}

}  // namespace dmpd

#endif  // DMPD_COMMON_FRAME_KIND_H_
