// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/vdport_allocator.h"

#include <bit>

#include "absl/strings/str_cat.h"

namespace dmpd::vs {

absl::StatusOr<VdportAllocator> VdportAllocator::Create(uint16_t first, uint16_t last,
                                                        uint32_t max_backends) {
  if (first == 0 || last < first) {
    return absl::InvalidArgumentError(
        absl::StrCat("vdport range ", first, "-", last, ": expected 1 <= first <= last"));
  }
  if (max_backends == 0 || max_backends > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("max_backends ", max_backends, ": 1..4096"));
  }
  return VdportAllocator(first, last, max_backends);
}

VdportAllocator::VdportAllocator(uint16_t first, uint16_t last, uint32_t max_backends)
    : first_(first),
      last_(last),
      max_backends_(max_backends),
      words_((static_cast<uint32_t>(last - first) + kWordBits) / kWordBits),
      bits_(size_t{words_} * max_backends, 0),
      cursor_(max_backends, 0),
      users_(static_cast<size_t>(last - first) + 1, 0) {
  // Bits past the range's end in the last word are marked used, so no scan returns them.
  const uint32_t tail = port_count() % kWordBits;
  if (tail != 0) {
    const uint64_t past = ~uint64_t{0} << tail;
    for (uint32_t b = 0; b < max_backends_; ++b) bits_[size_t{b} * words_ + words_ - 1] = past;
  }
}

std::optional<uint16_t> VdportAllocator::Acquire(uint32_t backend) {
  if (backend >= max_backends_) {
    ++refused_;
    return std::nullopt;
  }
  uint64_t* words = &bits_[size_t{backend} * words_];
  uint32_t w = cursor_[backend];
  for (uint32_t i = 0; i < words_; ++i, w = (w + 1 == words_ ? 0 : w + 1)) {
    if (words[w] == ~uint64_t{0}) continue;
    const uint32_t bit = static_cast<uint32_t>(std::countr_one(words[w]));
    words[w] |= uint64_t{1} << bit;
    cursor_[backend] = w;
    const uint32_t index = w * kWordBits + bit;
    if (users_[index]++ == 0) ++ports_in_use_;
    ++in_use_;
    return static_cast<uint16_t>(first_ + index);
  }
  ++refused_;
  return std::nullopt;
}

bool VdportAllocator::Release(uint32_t backend, uint16_t vdport) {
  if (backend >= max_backends_ || vdport < first_ || vdport > last_) {
    ++bad_releases_;
    return false;
  }
  const uint32_t index = vdport - first_;
  uint64_t& word = bits_[size_t{backend} * words_ + index / kWordBits];
  const uint64_t mask = uint64_t{1} << (index % kWordBits);
  if ((word & mask) == 0) {
    ++bad_releases_;
    return false;
  }
  word &= ~mask;
  if (--users_[index] == 0) --ports_in_use_;
  --in_use_;
  return true;
}

uint32_t VdportAllocator::users(uint16_t vdport) const {
  if (vdport < first_ || vdport > last_) return 0;
  return users_[vdport - first_];
}

}  // namespace dmpd::vs
