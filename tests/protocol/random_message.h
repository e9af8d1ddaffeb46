// SPDX-License-Identifier: BSD-3-Clause
// Random messages of every kind for round-trip tests: every optional field present or
// absent at random, counts and values drawn over their whole range (within the limits).
#ifndef DMPD_TESTS_PROTOCOL_RANDOM_MESSAGE_H_
#define DMPD_TESTS_PROTOCOL_RANDOM_MESSAGE_H_

#include <cstdint>
#include <random>

#include "common/message.h"

namespace dmpd::testing {

// A random message of frame kind `kind` (one of DMPD_FRAME_KINDS).
MessageBody RandomMessage(uint8_t kind, std::mt19937_64& rng);

}  // namespace dmpd::testing

#endif  // DMPD_TESTS_PROTOCOL_RANDOM_MESSAGE_H_
