// SPDX-License-Identifier: BSD-3-Clause
// FrameTransport: how control frames reach the wire. The daemon implements it with its
// data plane (mbufs and the worker's tx rings); tests and the simulator implement it in
// memory. Modules never see DPDK or a socket.
#ifndef DMPD_USERSPACE_CONTROL_FRAME_TRANSPORT_H_
#define DMPD_USERSPACE_CONTROL_FRAME_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/field_group.h"  // MacAddress

namespace dmpd {

class FrameTransport {
 public:
  virtual ~FrameTransport() = default;
  virtual size_t port_count() const = 0;
  virtual MacAddress port_mac(size_t port) const = 0;
  // Queues one whole Ethernet frame on `port`; false if it was not queued (no buffer,
  // ring full), which the transport counts.
  virtual bool Transmit(size_t port, std::span<const uint8_t> frame) = 0;
  // Called after a batch of Transmit()s: the sender may sleep until told.
  virtual void Flush() {}
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_CONTROL_FRAME_TRANSPORT_H_
