// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/frame_classifier.h"

namespace dmpd {

Classification ClassifyFrame(std::span<const uint8_t> frame, const ClassifierConfig& config) {
  Classification c;
  DecodeError error{};
  auto offset = LocateDmpdHeader(frame, config.ethertype, &error);
  if (!offset) {
    // A runt with our EtherType cannot even be told apart: count it as not ours.
    c.cls = FrameClass::kNotDmpd;
    c.error = error;
    return c;
  }
  auto decoded = ParseFrameHeader(frame.subspan(*offset), &error);
  if (!decoded) {
    c.cls = FrameClass::kRejected;
    c.error = error;
    return c;
  }
  if (decoded->header.cluster_id != config.cluster_id) {
    c.cls = FrameClass::kRejected;
    c.error = DecodeError::kOtherCluster;
    return c;
  }
  c.frame = *decoded;
  if (decoded->header.sender_node == config.own_node) {
    c.cls = FrameClass::kOwn;
  } else {
    c.cls = decoded->header.is_data() ? FrameClass::kData : FrameClass::kControl;
  }
  return c;
}

}  // namespace dmpd
