// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for a CREDIT frame's payload (flow control between pipe engines):
// ReadCreditEntries on any bytes; whatever it accepts must encode again to the same bytes.
#include <array>
#include <cstdint>
#include <span>

#include "common/data_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<dmpd::CreditEntry, dmpd::kMaxCreditEntries> entries;
  const auto n = dmpd::ReadCreditEntries(std::span(data, size), entries);
  if (!n.ok()) return 0;
  std::array<uint8_t, dmpd::kMaxCreditEntries * dmpd::kCreditEntryLen> again;
  const auto len = dmpd::WriteCreditEntries(std::span(entries).first(*n), again);
  if (!len.ok() || *len != size) __builtin_trap();
  for (size_t i = 0; i < size; ++i) {
    if (again[i] != data[i]) __builtin_trap();
  }
  return 0;
}
