// SPDX-License-Identifier: BSD-3-Clause
// Message: any decoded DMPD frame kind, and the dispatch between kinds and body codecs.
// Each alternative has kKind and EncodeBody/DecodeBody overloads (in its own header).
#ifndef DMPD_COMMON_MESSAGE_H_
#define DMPD_COMMON_MESSAGE_H_

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "common/data_frame.h"
#include "common/election.h"
#include "common/frame_header.h"
#include "common/heartbeat.h"
#include "common/heartbeat_response.h"
#include "common/hello.h"
#include "common/leave.h"
#include "common/time_sync.h"

namespace dmpd {

using MessageBody = std::variant<Hello, TimeSync, Heartbeat, HeartbeatResponse, Candidacy, Vote,
                                 Announce, Leave, DataMessage>;

struct Message {
  FrameHeader header;  // of the frame that completed the message
  MessageBody body;
};

// The frame kind of the alternative `body` holds.
uint8_t KindOf(const MessageBody& body);

// Appends the payload of `body` (no DMPD header) to `out`.
absl::Status EncodeMessageBody(const MessageBody& body, std::vector<uint8_t>* out);

// Decodes a payload of frame kind `kind`; kUnknownKind for a kind this version lacks.
absl::Status DecodeMessageBody(uint8_t kind, std::span<const uint8_t> in, MessageBody* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_MESSAGE_H_
