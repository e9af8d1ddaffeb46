// SPDX-License-Identifier: BSD-3-Clause
// FrameClassifier: what the worker lcore does with each received frame, as a pure
// function so it is unit-tested without DPDK. The XDP program has already filtered most
// junk; this is the second line, and it trusts nothing.
#ifndef DMPD_USERSPACE_DAEMON_FRAME_CLASSIFIER_H_
#define DMPD_USERSPACE_DAEMON_FRAME_CLASSIFIER_H_

#include <cstdint>
#include <span>

#include "common/frame_header.h"

namespace dmpd {

enum class FrameClass : uint8_t {
  kNotDmpd,   // reached the daemon without our EtherType: XDP let something through
  kRejected,  // DMPD but does not decode (see `error`)
  kOwn,       // our own frame, heard on another of our ports through the switch
  kControl,   // for the main lcore (public ring)
  kData,      // for the pipes
};

struct ClassifierConfig {
  uint16_t ethertype = DMPD_ETHERTYPE_DEFAULT;
  uint32_t cluster_id = 0;
  uint16_t own_node = 0;
};

struct Classification {
  FrameClass cls = FrameClass::kNotDmpd;
  DecodeError error = DecodeError::kNotDmpd;  // valid when cls == kRejected
  DecodedFrame frame;                         // valid for kOwn, kControl, kData
};

Classification ClassifyFrame(std::span<const uint8_t> frame, const ClassifierConfig& config);

}  // namespace dmpd

#endif  // DMPD_USERSPACE_DAEMON_FRAME_CLASSIFIER_H_
