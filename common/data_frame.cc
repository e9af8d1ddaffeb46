// SPDX-License-Identifier: BSD-3-Clause
#include "common/data_frame.h"

#include <algorithm>

#include "common/byte_order.h"
#include "common/decode_error.h"

namespace dmpd {
namespace {

void StoreDataHeader(const DataHeader& h, uint8_t* p) {
  StoreBe16(p, h.src_node);
  StoreBe16(p + 2, h.dst_node);
  StoreBe16(p + 4, h.src_pipe);
  StoreBe16(p + 6, h.dst_pipe);
  p[8] = h.type;
  p[9] = h.flags;
  p[10] = static_cast<uint8_t>(kDataHeaderLen);
  p[11] = h.epoch;
  StoreBe32(p + 12, h.sequence);
}

}  // namespace

absl::StatusOr<size_t> WriteDataPayload(const DataHeader& h, std::span<const uint8_t> payload,
                                        std::span<uint8_t> out) {
  if (out.size() < kDataHeaderLen || out.size() - kDataHeaderLen < payload.size()) {
    return absl::ResourceExhaustedError("buffer too small for the data frame");
  }
  StoreDataHeader(h, out.data());
  std::copy(payload.begin(), payload.end(), out.data() + kDataHeaderLen);
  return kDataHeaderLen + payload.size();
}

absl::StatusOr<DataFrameView> ReadDataPayload(std::span<const uint8_t> in) {
  if (in.size() < kDataHeaderLen) return DecodeFailure(DecodeError::kFieldTooShort);
  const uint8_t* p = in.data();
  const uint8_t hdr_len = p[10];
  if (hdr_len < kDataHeaderLen) return DecodeFailure(DecodeError::kBadValue);
  if (hdr_len > in.size()) return DecodeFailure(DecodeError::kPayloadPastEnd);
  DataFrameView v;
  v.header.src_node = LoadBe16(p);
  v.header.dst_node = LoadBe16(p + 2);
  v.header.src_pipe = LoadBe16(p + 4);
  v.header.dst_pipe = LoadBe16(p + 6);
  v.header.type = p[8];
  v.header.flags = p[9];
  v.header.epoch = p[11];
  v.header.sequence = LoadBe32(p + 12);
  v.payload = in.subspan(hdr_len);
  return v;
}

absl::StatusOr<size_t> WriteCreditEntries(std::span<const CreditEntry> entries,
                                          std::span<uint8_t> out) {
  if (entries.empty() || entries.size() > kMaxCreditEntries) {
    return absl::InvalidArgumentError("a credit carries 1 to 64 entries");
  }
  if (out.size() < entries.size() * kCreditEntryLen) {
    return absl::ResourceExhaustedError("buffer too small for the credit");
  }
  uint8_t* p = out.data();
  for (const CreditEntry& e : entries) {
    StoreBe16(p, e.sender_port);
    std::copy(e.receiver_mac.begin(), e.receiver_mac.end(), p + 2);
    StoreBe32(p + 8, e.sequence);
    p += kCreditEntryLen;
  }
  return entries.size() * kCreditEntryLen;
}

absl::StatusOr<size_t> ReadCreditEntries(std::span<const uint8_t> in, std::span<CreditEntry> out) {
  if (in.empty()) return DecodeFailure(DecodeError::kFieldTooShort);
  if (in.size() % kCreditEntryLen != 0) return DecodeFailure(DecodeError::kBadPayload);
  const size_t n = in.size() / kCreditEntryLen;
  if (n > kMaxCreditEntries || n > out.size()) return DecodeFailure(DecodeError::kTooMany);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = in.data() + i * kCreditEntryLen;
    out[i].sender_port = LoadBe16(p);
    std::copy(p + 2, p + 8, out[i].receiver_mac.begin());
    out[i].sequence = LoadBe32(p + 8);
  }
  return n;
}

absl::Status EncodeBody(const DataMessage& m, std::vector<uint8_t>* out) {
  const size_t at = out->size();
  out->resize(at + kDataHeaderLen + m.payload.size());
  return WriteDataPayload(m.header, m.payload, std::span(*out).subspan(at)).status();
}

absl::Status DecodeBody(std::span<const uint8_t> in, DataMessage* out) {
  absl::StatusOr<DataFrameView> v = ReadDataPayload(in);
  if (!v.ok()) return v.status();
  out->header = v->header;
  out->payload.assign(v->payload.begin(), v->payload.end());
  return absl::OkStatus();
}

}  // namespace dmpd
