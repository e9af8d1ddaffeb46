// SPDX-License-Identifier: BSD-3-Clause
// MemoryTransport: a FrameTransport that keeps what is sent, per port, for tests to
// inspect or hand to another node's ControlChannel.
#ifndef DMPD_TESTS_SUPPORT_MEMORY_TRANSPORT_H_
#define DMPD_TESTS_SUPPORT_MEMORY_TRANSPORT_H_

#include <cstdint>
#include <vector>

#include "userspace/control/frame_transport.h"

namespace dmpd::testing {

class MemoryTransport final : public FrameTransport {
 public:
  explicit MemoryTransport(std::vector<MacAddress> macs) : macs_(std::move(macs)), sent_(macs_.size()) {}
  size_t port_count() const override { return macs_.size(); }
  MacAddress port_mac(size_t port) const override { return macs_[port]; }
  bool Transmit(size_t port, std::span<const uint8_t> frame) override {
    if (refuse_) return false;
    sent_[port].emplace_back(frame.begin(), frame.end());
    return true;
  }
  void Flush() override { ++flushes_; }

  std::vector<std::vector<std::vector<uint8_t>>>& sent() { return sent_; }
  void set_refuse(bool refuse) { refuse_ = refuse; }
  int flushes() const { return flushes_; }

 private:
  std::vector<MacAddress> macs_;
  std::vector<std::vector<std::vector<uint8_t>>> sent_;
  bool refuse_ = false;
  int flushes_ = 0;
};

}  // namespace dmpd::testing

#endif  // DMPD_TESTS_SUPPORT_MEMORY_TRANSPORT_H_
