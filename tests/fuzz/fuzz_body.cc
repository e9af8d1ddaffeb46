// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target for one body decoder: DecodeMessageBody(DMPD_FUZZ_KIND, input). Built
// once per frame kind (CMakeLists.txt sets DMPD_FUZZ_KIND). Besides the sanitizers, it
// checks that whatever decodes encodes again and decodes to the same message.
#include <cstdint>
#include <span>
#include <vector>

#include "common/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dmpd::MessageBody m;
  if (!dmpd::DecodeMessageBody(DMPD_FUZZ_KIND, std::span(data, size), &m).ok()) return 0;
  std::vector<uint8_t> again;
  if (!dmpd::EncodeMessageBody(m, &again).ok()) __builtin_trap();
  dmpd::MessageBody m2;
  if (!dmpd::DecodeMessageBody(DMPD_FUZZ_KIND, again, &m2).ok() || !(m2 == m)) __builtin_trap();
  return 0;
}
