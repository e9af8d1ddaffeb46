// SPDX-License-Identifier: BSD-3-Clause
// ControlChannel: the one way control frames enter and leave a node. Sending goes through
// FrameWriter (per-port sequence numbers, segmentation by MTU, signature when keyed);
// receiving goes through FrameReceiver (header, cluster, kind, authentication and replay,
// reassembly, body decode) before any module sees the message, and every rejected frame
// is counted per port by its DecodeError (REL-1). Decoded messages are dispatched by kind
// to the module that registered for it. Pure logic: no DPDK, no descriptors, no clock.
#ifndef DMPD_USERSPACE_CONTROL_CONTROL_CHANNEL_H_
#define DMPD_USERSPACE_CONTROL_CONTROL_CHANNEL_H_

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/decode_error.h"
#include "common/frame_receiver.h"
#include "common/frame_writer.h"
#include "common/message.h"
#include "userspace/control/frame_transport.h"
#include "userspace/control/peer_receipts.h"

namespace dmpd {

inline constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct ControlChannelOptions {
  uint32_t cluster_id = 0;
  uint16_t node = 0;
  uint16_t ethertype = DMPD_ETHERTYPE_DEFAULT;
  size_t mtu = kDefaultMtu;
  const FrameAuth* auth = nullptr;  // set: every control frame is signed and checked
  uint64_t epoch = 0;               // this run's start, us since 1970 (replay protection)
};

// Where a message came from: the local port it arrived on and the Ethernet source.
struct ReceivedOn {
  size_t port = 0;
  MacAddress src_mac{};
};

struct ChannelPortStats {
  uint64_t received = 0;   // messages decoded and dispatched
  uint64_t unhandled = 0;  // decoded, but no module registered for the kind
  std::array<uint64_t, kDecodeErrorCount> rejected{};
  uint64_t sent = 0;        // frames handed to the transport
  uint64_t send_failed = 0;  // frames the transport did not take
};

class ControlChannel {
 public:
  using Handler = std::function<void(const Message& message, const ReceivedOn& from)>;

  ControlChannel(const ControlChannelOptions& options, FrameTransport& transport);

  // The module that handles `kind` (one per kind).
  void On(uint8_t kind, Handler handler);

  // One Ethernet frame received on local `port`. `now_ns`: monotonic, for reassembly.
  void Receive(size_t port, std::span<const uint8_t> frame, uint64_t now_ns);
  // Drops incomplete reassemblies that timed out.
  void Expire(uint64_t now_ns) {
    for (FrameReceiver& r : receivers_) r.Expire(now_ns);
  }

  // Sends `body` out of `port` to `dst` (broadcast by default), segmented if needed.
  absl::Status Send(size_t port, const MessageBody& body, const MacAddress& dst = kBroadcastMac);
  // The same on every port; then flushes the transport once. The body is encoded once.
  absl::Status SendOnAllPorts(const MessageBody& body);
  // The same on the ports whose index `on_port` accepts, told how many frames the message
  // takes per port (1 when it fits one frame): a large message can go on one port only.
  absl::Status SendOnPorts(const MessageBody& body,
                           const std::function<bool(size_t port, size_t frames)>& on_port);

  size_t port_count() const { return stats_.size(); }
  const ChannelPortStats& stats(size_t port) const { return stats_[port]; }
  const FrameTransport& transport() const { return transport_; }
  // Every accepted control frame, per sender port: T_recv and T_send of eq. (2).
  const PeerReceipts& receipts() const { return receipts_; }
  PeerReceipts& receipts() { return receipts_; }

 private:
  absl::Status SendFrames(size_t port, uint8_t kind, std::span<const uint8_t> body,
                          const MacAddress& dst);
  size_t FramesFor(uint8_t kind, size_t body_len) const;

  ControlChannelOptions options_;
  FrameTransport& transport_;
  FrameWriter writer_;
  // One per local port: on one LAN every port hears every frame, and each port's copy is
  // its own evidence (that port hears the sender). A shared replay window would take the
  // second port's copy for a replay; a shared reassembler would mix their segments.
  std::vector<FrameReceiver> receivers_;
  std::array<Handler, 256> handlers_{};
  std::vector<uint32_t> sequence_;  // per local port
  uint32_t message_id_ = 0;
  std::vector<ChannelPortStats> stats_;
  PeerReceipts receipts_;
  std::vector<std::vector<uint8_t>> frames_;  // reused between sends
  std::vector<uint8_t> body_;
  std::vector<uint8_t> ethernet_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_CONTROL_CONTROL_CHANNEL_H_
