// SPDX-License-Identifier: BSD-3-Clause
// How the multi-frame fuzz targets cut one input into frames: [be16 length][bytes]…, a
// short last piece taken as it is. Keeps state (replay window, reassembly) in play.
#ifndef DMPD_TESTS_FUZZ_FUZZ_INPUT_H_
#define DMPD_TESTS_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dmpd::fuzz {

template <class F>
void ForEachPiece(std::span<const uint8_t> in, F&& f) {
  while (in.size() >= 2) {
    const size_t len = std::min<size_t>((size_t{in[0]} << 8) | in[1], in.size() - 2);
    f(in.subspan(2, len));
    in = in.subspan(2 + len);
  }
}

}  // namespace dmpd::fuzz

#endif  // DMPD_TESTS_FUZZ_FUZZ_INPUT_H_
