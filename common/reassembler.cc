// SPDX-License-Identifier: BSD-3-Clause
#include "common/reassembler.h"

#include <algorithm>

#include "common/byte_order.h"
#include "common/decode_error.h"
#include "common/dmpd_wire.h"

namespace dmpd {

Reassembler::Reassembler(const ReassemblerLimits& limits) : limits_(limits) {
  limits_.max_segments = std::min<size_t>(limits_.max_segments, 64);
}

void Reassembler::Drop(Message& m) {
  buffered_bytes_ -= m.bytes;
  m.bytes = 0;
  m.segments.clear();
  m.segments.shrink_to_fit();
}

void Reassembler::Expire(uint64_t now_ns) {
  absl::erase_if(messages_, [&](auto& kv) {
    if (now_ns - kv.second.first_ns < limits_.timeout_ns) return false;
    Drop(kv.second);
    return true;
  });
}

void Reassembler::EvictOldestInFlight(uint16_t sender) {
  size_t in_flight = 0;
  auto oldest = messages_.end();
  for (auto it = messages_.begin(); it != messages_.end(); ++it) {
    if (it->second.sender != sender || it->second.done) continue;
    ++in_flight;
    if (oldest == messages_.end() || it->second.first_ns < oldest->second.first_ns) oldest = it;
  }
  if (in_flight < limits_.max_in_flight_per_sender) return;
  Drop(oldest->second);
  messages_.erase(oldest);
}

void Reassembler::EvictOldestDone() {
  auto oldest = messages_.end();
  for (auto it = messages_.begin(); it != messages_.end(); ++it) {
    if (!it->second.done) continue;
    if (oldest == messages_.end() || it->second.first_ns < oldest->second.first_ns) oldest = it;
  }
  if (oldest != messages_.end()) messages_.erase(oldest);
}

absl::StatusOr<Reassembler::Message*> Reassembler::Track(uint64_t key, uint16_t sender,
                                                         uint16_t count, uint64_t now_ns) {
  if (auto it = messages_.find(key); it != messages_.end()) {
    if (it->second.count != count) return DecodeFailure(DecodeError::kBadSegment);
    return &it->second;
  }
  EvictOldestInFlight(sender);
  // Completed messages are only kept to drop late copies: they give way to new ones.
  if (messages_.size() >= limits_.max_messages) EvictOldestDone();
  if (messages_.size() >= limits_.max_messages) {
    return DecodeFailure(DecodeError::kReassemblyFull);
  }
  Message& m = messages_[key];
  m.sender = sender;
  m.count = count;
  m.first_ns = now_ns;
  return &m;
}

absl::StatusOr<ReassemblyResult> Reassembler::Add(const FrameHeader& h,
                                                  std::span<const uint8_t> payload,
                                                  uint64_t now_ns) {
  if (payload.size() < sizeof(dmpd_segment_hdr)) return DecodeFailure(DecodeError::kBadSegment);
  const uint32_t message_id = LoadBe32(payload.data());
  const uint16_t index = LoadBe16(payload.data() + 4);
  const uint16_t count = LoadBe16(payload.data() + 6);
  if (count == 0 || index >= count) return DecodeFailure(DecodeError::kBadSegment);
  if (count > limits_.max_segments) return DecodeFailure(DecodeError::kSegmentLimit);
  const std::span<const uint8_t> data = payload.subspan(sizeof(dmpd_segment_hdr));

  // Make room by expiry before taking a pointer into messages_ (Expire erases).
  if (buffered_bytes_ + data.size() > limits_.max_bytes ||
      messages_.size() >= limits_.max_messages) {
    Expire(now_ns);
  }
  const uint64_t key = (uint64_t{h.sender_node} << 40) | (uint64_t{h.kind} << 32) | message_id;
  absl::StatusOr<Message*> tracked = Track(key, h.sender_node, count, now_ns);
  if (!tracked.ok()) return tracked.status();
  Message& m = **tracked;
  ReassemblyResult r;
  if (m.done || (m.received & (uint64_t{1} << index))) {
    r.state = ReassemblyResult::State::kDuplicate;
    return r;
  }
  if (buffered_bytes_ + data.size() > limits_.max_bytes) {
    return DecodeFailure(DecodeError::kReassemblyFull);
  }
  m.segments.emplace_back(index, std::vector<uint8_t>(data.begin(), data.end()));
  m.received |= uint64_t{1} << index;
  m.bytes += data.size();
  buffered_bytes_ += data.size();
  if (m.segments.size() < m.count) return r;

  std::sort(m.segments.begin(), m.segments.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  r.body.reserve(m.bytes);
  for (const auto& [i, bytes] : m.segments) r.body.insert(r.body.end(), bytes.begin(), bytes.end());
  r.state = ReassemblyResult::State::kComplete;
  Drop(m);
  m.done = true;  // kept until it expires, to recognise late copies
  return r;
}

}  // namespace dmpd
