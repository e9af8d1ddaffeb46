// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/control/control_channel.h"

#include <algorithm>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_kind.h"

namespace dmpd {
namespace {

FrameWriterOptions WriterOptions(const ControlChannelOptions& o) {
  FrameWriterOptions w;
  w.cluster_id = o.cluster_id;
  w.sender_node = o.node;
  w.mtu = o.mtu;
  w.auth = o.auth;
  w.epoch = o.epoch;
  return w;
}

}  // namespace

ControlChannel::ControlChannel(const ControlChannelOptions& options, FrameTransport& transport)
    : options_(options),
      transport_(transport),
      writer_(WriterOptions(options)),
      sequence_(transport.port_count(), 0),
      stats_(transport.port_count()) {
  receivers_.reserve(transport.port_count());
  for (size_t p = 0; p < transport.port_count(); ++p) {
    receivers_.emplace_back(ReceiverOptions(options.cluster_id, options.auth));
  }
}

void ControlChannel::On(uint8_t kind, Handler handler) { handlers_[kind] = std::move(handler); }

void ControlChannel::Receive(size_t port, std::span<const uint8_t> frame, uint64_t now_ns) {
  if (port >= stats_.size()) return;
  ChannelPortStats& st = stats_[port];
  DecodeError error = DecodeError::kNotDmpd;
  const std::optional<size_t> at = LocateDmpdHeader(frame, options_.ethertype, &error);
  if (!at) {
    ++st.rejected[static_cast<size_t>(error)];
    return;
  }
  absl::StatusOr<std::optional<Message>> m = receivers_[port].Receive(frame.subspan(*at), now_ns);
  if (!m.ok()) {
    const DecodeError why = DecodeErrorOf(m.status()).value_or(DecodeError::kBadPayload);
    ++st.rejected[static_cast<size_t>(why)];
    return;
  }
  // Accepted (checked, signed if keyed, fresh): it counts towards its sender's receipts.
  if (const std::optional<DecodedFrame> h = ParseFrameHeader(frame.subspan(*at), nullptr)) {
    receipts_.Record(h->header.sender_node, h->header.sender_port, h->header.sequence);
  }
  if (!m->has_value()) return;  // a segment of a message still incomplete
  const Message& message = **m;
  const Handler& handler = handlers_[message.header.kind];
  if (!handler) {
    ++st.unhandled;
    return;
  }
  ++st.received;
  ReceivedOn from{.port = port, .src_mac = {}};
  std::copy_n(frame.data() + 6, 6, from.src_mac.begin());  // located: >= 14 bytes
  handler(message, from);
}

absl::Status ControlChannel::SendFrames(size_t port, uint8_t kind, std::span<const uint8_t> body,
                                        const MacAddress& dst) {
  if (port >= stats_.size()) return absl::OutOfRangeError("no such port");
  frames_.clear();
  absl::Status s =
      writer_.Write(kind, static_cast<uint16_t>(port), message_id_, body, &sequence_[port], &frames_);
  if (!s.ok()) return s;
  const MacAddress src = transport_.port_mac(port);
  ChannelPortStats& st = stats_[port];
  for (const std::vector<uint8_t>& dmpd : frames_) {
    // Ethernet header, then the DMPD frame; padded to the 60-byte minimum (no FCS).
    ethernet_.assign(kEthHeaderLen, 0);
    std::copy(dst.begin(), dst.end(), ethernet_.begin());
    std::copy(src.begin(), src.end(), ethernet_.begin() + 6);
    StoreBe16(ethernet_.data() + 12, options_.ethertype);
    ethernet_.insert(ethernet_.end(), dmpd.begin(), dmpd.end());
    if (ethernet_.size() < 60) ethernet_.resize(60, 0);
    if (transport_.Transmit(port, ethernet_)) {
      ++st.sent;
    } else {
      ++st.send_failed;
    }
  }
  return absl::OkStatus();
}

size_t ControlChannel::FramesFor(uint8_t kind, size_t body_len) const {
  const size_t overhead =
      kFrameHeaderLen + (options_.auth != nullptr && IsControlKind(kind) ? kAuthTrailerLen : 0);
  if (options_.mtu <= overhead + kSegmentHeaderLen) return SIZE_MAX;
  const size_t room = options_.mtu - overhead;
  if (body_len <= room) return 1;
  const size_t chunk = room - kSegmentHeaderLen;
  return (body_len + chunk - 1) / chunk;
}

absl::Status ControlChannel::Send(size_t port, const MessageBody& body, const MacAddress& dst) {
  ++message_id_;
  body_.clear();
  absl::Status s = EncodeMessageBody(body, &body_);
  if (s.ok()) s = SendFrames(port, KindOf(body), body_, dst);
  transport_.Flush();
  return s;
}

absl::Status ControlChannel::SendOnAllPorts(const MessageBody& body) {
  return SendOnPorts(body, [](size_t, size_t) { return true; });
}

absl::Status ControlChannel::SendOnPorts(
    const MessageBody& body, const std::function<bool(size_t port, size_t frames)>& on_port) {
  ++message_id_;  // one message, the same id on every port
  body_.clear();
  if (absl::Status s = EncodeMessageBody(body, &body_); !s.ok()) return s;
  const uint8_t kind = KindOf(body);
  const size_t frames = FramesFor(kind, body_.size());
  absl::Status result;
  for (size_t port = 0; port < stats_.size(); ++port) {
    if (on_port(port, frames)) result.Update(SendFrames(port, kind, body_, kBroadcastMac));
  }
  transport_.Flush();
  return result;
}

}  // namespace dmpd
