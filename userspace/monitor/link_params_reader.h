// SPDX-License-Identifier: BSD-3-Clause
// Ring and channel sizes of an interface (ethtool -g / -l; seed 003). These come from an
// ioctl, not from files, so the reader is an interface: tests give a fake, the rest of the
// port view is read from (fixture) files.
#ifndef DMPD_USERSPACE_MONITOR_LINK_PARAMS_READER_H_
#define DMPD_USERSPACE_MONITOR_LINK_PARAMS_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace dmpd::monitor {

struct RingSizes {  // ETHTOOL_GRINGPARAM, in descriptors
  uint32_t rx_entries = 0;
  uint32_t tx_entries = 0;
  uint32_t rx_max_entries = 0;
  uint32_t tx_max_entries = 0;
};

struct ChannelCounts {  // ETHTOOL_GCHANNELS
  uint32_t rx = 0;
  uint32_t tx = 0;
  uint32_t other = 0;
  uint32_t combined = 0;
  uint32_t max_rx = 0;
  uint32_t max_tx = 0;
  uint32_t max_other = 0;
  uint32_t max_combined = 0;
};

class LinkParamsReader {
 public:
  virtual ~LinkParamsReader() = default;
  // Unimplemented when the driver does not support the query (veth has no ring
  // parameters), NotFound for no such interface.
  virtual absl::StatusOr<RingSizes> ReadRings(std::string_view ifname) = 0;
  virtual absl::StatusOr<ChannelCounts> ReadChannels(std::string_view ifname) = 0;
};

// The SIOCETHTOOL ioctl on a datagram socket of the caller's network namespace.
class EthtoolLinkParamsReader final : public LinkParamsReader {
 public:
  static absl::StatusOr<std::unique_ptr<EthtoolLinkParamsReader>> Create();
  ~EthtoolLinkParamsReader() override;

  absl::StatusOr<RingSizes> ReadRings(std::string_view ifname) override;
  absl::StatusOr<ChannelCounts> ReadChannels(std::string_view ifname) override;

 private:
  explicit EthtoolLinkParamsReader(int fd) : fd_(fd) {}
  absl::Status Ioctl(std::string_view ifname, void* cmd);

  int fd_;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_LINK_PARAMS_READER_H_
