// SPDX-License-Identifier: BSD-3-Clause
// FrameBuilder: crafts Ethernet frames carrying DMPD (or anything else) for tests of the
// XDP program and the daemon's decoders. Uses the project's header encoder, so the
// fixtures cannot drift from the wire format.
#ifndef DMPD_TESTS_SUPPORT_FRAME_BUILDER_H_
#define DMPD_TESTS_SUPPORT_FRAME_BUILDER_H_

#include <array>
#include <cstdint>
#include <vector>

#include "common/byte_order.h"
#include "common/frame_header.h"

namespace dmpd::testing {

class FrameBuilder {
 public:
  FrameBuilder& Ethertype(uint16_t v) { ethertype_ = v; return *this; }
  FrameBuilder& VlanTag(uint16_t tpid) { tags_.push_back(tpid); return *this; }
  FrameBuilder& Header(const FrameHeader& h) { header_ = h; return *this; }
  FrameBuilder& Payload(std::vector<uint8_t> p) { payload_ = std::move(p); return *this; }
  // Overrides the header's payload_len (default: the real payload size).
  FrameBuilder& ClaimedPayloadLen(uint16_t n) { claimed_len_ = n; return *this; }
  // Pads the frame with zeros up to the Ethernet minimum (60 bytes without FCS).
  FrameBuilder& PadToMinimum() { pad_ = true; return *this; }
  // Destination MAC (default broadcast).
  FrameBuilder& Dst(std::array<uint8_t, 6> mac) { dst_ = mac; return *this; }

  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> f(dst_.begin(), dst_.end());
    for (uint8_t b : {0x02, 0x00, 0x00, 0x00, 0x00, 0x01}) f.push_back(b);  // src: local admin
    for (uint16_t tpid : tags_) {
      Append16(f, tpid);
      Append16(f, 0x0005);  // TCI: VLAN 5
    }
    Append16(f, ethertype_);
    FrameHeader h = header_;
    h.payload_len = claimed_len_ >= 0 ? static_cast<uint16_t>(claimed_len_)
                                      : static_cast<uint16_t>(payload_.size());
    size_t at = f.size();
    f.resize(at + kFrameHeaderLen);
    (void)EncodeFrameHeader(h, std::span(f).subspan(at));
    f.insert(f.end(), payload_.begin(), payload_.end());
    if (pad_ && f.size() < 60) f.resize(60, 0);
    return f;
  }

 private:
  static void Append16(std::vector<uint8_t>& f, uint16_t v) {
    f.push_back(static_cast<uint8_t>(v >> 8));
    f.push_back(static_cast<uint8_t>(v));
  }

  std::array<uint8_t, 6> dst_{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  uint16_t ethertype_ = DMPD_ETHERTYPE_DEFAULT;
  std::vector<uint16_t> tags_;
  FrameHeader header_{.kind = DMPD_KIND_HELLO, .cluster_id = 1, .sender_node = 2};
  std::vector<uint8_t> payload_;
  int claimed_len_ = -1;
  bool pad_ = false;
};

}  // namespace dmpd::testing

#endif  // DMPD_TESTS_SUPPORT_FRAME_BUILDER_H_
