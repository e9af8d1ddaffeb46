// SPDX-License-Identifier: BSD-3-Clause
#include "tests/protocol/protocol_test_util.h"

#include <cctype>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_writer.h"
#include "common/protocol_samples.h"
#include "common/tlv_codec.h"

namespace dmpd::testing {

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

std::optional<DecodeError> Reason(const absl::Status& s) { return DecodeErrorOf(s); }

std::vector<uint8_t> SampleFrame(const MessageBody& m, const FrameAuth* auth) {
  FrameWriter w(SampleWriterOptions(auth));
  std::vector<std::vector<uint8_t>> frames;
  uint32_t seq = kSampleSequence;
  if (!w.WriteMessage(m, kSamplePort, kSampleCycle, &seq, &frames).ok() || frames.size() != 1) {
    return {};
  }
  return frames[0];
}

namespace {

void Walk(std::span<const uint8_t> frame, size_t begin, size_t end, std::vector<LengthField>* out) {
  size_t pos = begin;
  while (end - pos >= kTlvHeaderLen) {
    const uint16_t type = LoadBe16(frame.data() + pos);
    const uint16_t len = LoadBe16(frame.data() + pos + 2);
    if (len > end - pos - kTlvHeaderLen) return;  // not TLVs (a data payload)
    out->push_back({pos + 2, end});
    if (type == static_cast<uint16_t>(TlvType::kNode)) {
      Walk(frame, pos + kTlvHeaderLen, pos + kTlvHeaderLen + len, out);
    }
    pos += kTlvHeaderLen + len;
  }
}

}  // namespace

std::vector<LengthField> TlvLengthFields(std::span<const uint8_t> frame) {
  std::vector<LengthField> out;
  Walk(frame, kFrameHeaderLen, frame.size(), &out);
  return out;
}

std::vector<size_t> TopLevelBoundaries(std::span<const uint8_t> frame) {
  std::vector<size_t> out;
  size_t pos = kFrameHeaderLen;
  while (frame.size() - pos >= kTlvHeaderLen) {
    const size_t len = LoadBe16(frame.data() + pos + 2);
    if (len > frame.size() - pos - kTlvHeaderLen) break;  // not TLVs (a data payload)
    out.push_back(pos);
    pos += kTlvHeaderLen + len;
  }
  out.push_back(pos);
  return out;
}

}  // namespace dmpd::testing
