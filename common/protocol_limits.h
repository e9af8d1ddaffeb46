// SPDX-License-Identifier: BSD-3-Clause
// Bounds a decoder enforces on top of the byte bounds, so that what a frame makes us
// allocate stays proportional to the frame and sane for a cluster (REL-1).
#ifndef DMPD_COMMON_PROTOCOL_LIMITS_H_
#define DMPD_COMMON_PROTOCOL_LIMITS_H_

#include <cstddef>

namespace dmpd {

inline constexpr size_t kMaxViewNodes = 1024;   // nodes in one heartbeat view
inline constexpr size_t kMaxNodePorts = 64;     // ports of one node
inline constexpr size_t kMaxNodePipes = 1024;   // pipes of one node
inline constexpr size_t kMaxObservations = 64;  // one per port of the responding node
inline constexpr size_t kMaxHelloName = 64;     // bytes of a host name

}  // namespace dmpd

#endif  // DMPD_COMMON_PROTOCOL_LIMITS_H_
