// SPDX-License-Identifier: BSD-3-Clause
// Data frames (PIPE-4): struct dmpd_data_hdr then the pipe's bytes. The fast path uses
// WriteDataPayload / ReadDataPayload, which copy nothing but the payload bytes the caller
// asks for; DataMessage is the owning form used where a data message was reassembled.
#ifndef DMPD_COMMON_DATA_FRAME_H_
#define DMPD_COMMON_DATA_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/dmpd_wire.h"
#include "common/mac_address.h"

namespace dmpd {

inline constexpr size_t kDataHeaderLen = sizeof(dmpd_data_hdr);

struct DataHeader {
  uint16_t src_node = 0;
  uint16_t dst_node = 0;
  uint16_t src_pipe = 0;
  uint16_t dst_pipe = 0;
  uint8_t type = 0;
  uint8_t flags = 0;  // DMPD_DATA_F_*
  uint8_t epoch = 0;  // the sending pipe's incarnation (dmpd_data_hdr.epoch)
  uint32_t sequence = 0;
  friend bool operator==(const DataHeader&, const DataHeader&) = default;
};

struct DataFrameView {
  DataHeader header;
  std::span<const uint8_t> payload;  // into the caller's frame
};

// Writes the data header and `payload` into `out`; returns the bytes written.
absl::StatusOr<size_t> WriteDataPayload(const DataHeader& h, std::span<const uint8_t> payload,
                                        std::span<uint8_t> out);

// Reads a data frame's payload (what follows the DMPD header). A header longer than 16
// bytes (a newer sender's) is skipped over; a shorter one, or one past the end, is rejected.
absl::StatusOr<DataFrameView> ReadDataPayload(std::span<const uint8_t> in);

// A CREDIT frame's payload (DMPD_DATA_F_CREDIT): the last frame the receiver took off
// each path from the sender (struct dmpd_credit_entry).
struct CreditEntry {
  uint16_t sender_port = 0;
  MacAddress receiver_mac{};
  uint32_t sequence = 0;
  friend bool operator==(const CreditEntry&, const CreditEntry&) = default;
};
inline constexpr size_t kCreditEntryLen = sizeof(dmpd_credit_entry);
inline constexpr size_t kMaxCreditEntries = DMPD_CREDIT_MAX_ENTRIES;

// Writes `entries` (1 .. kMaxCreditEntries) into `out`; returns the bytes written.
absl::StatusOr<size_t> WriteCreditEntries(std::span<const CreditEntry> entries,
                                          std::span<uint8_t> out);
// Reads a CREDIT frame's payload into `out` (room for kMaxCreditEntries); returns how many.
// Rejected: no entry, more than kMaxCreditEntries, a length that is not whole entries.
absl::StatusOr<size_t> ReadCreditEntries(std::span<const uint8_t> in, std::span<CreditEntry> out);

struct DataMessage {
  static constexpr uint8_t kKind = DMPD_KIND_DATA;
  DataHeader header;
  std::vector<uint8_t> payload;
  friend bool operator==(const DataMessage&, const DataMessage&) = default;
};

absl::Status EncodeBody(const DataMessage& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, DataMessage* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_DATA_FRAME_H_
