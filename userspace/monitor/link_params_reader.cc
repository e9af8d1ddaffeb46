// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/link_params_reader.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd::monitor {

absl::StatusOr<std::unique_ptr<EthtoolLinkParamsReader>> EthtoolLinkParamsReader::Create() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket for the ethtool ioctl");
  return std::unique_ptr<EthtoolLinkParamsReader>(new EthtoolLinkParamsReader(fd));
}

EthtoolLinkParamsReader::~EthtoolLinkParamsReader() { ::close(fd_); }

absl::Status EthtoolLinkParamsReader::Ioctl(std::string_view ifname, void* cmd) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad interface name '", std::string(ifname), "'"));
  }
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  ifr.ifr_data = static_cast<char*>(cmd);
  if (::ioctl(fd_, SIOCETHTOOL, &ifr) < 0) {
    const int err = errno;
    // EOPNOTSUPP is the driver saying "no such parameter": not an error of ours.
    return absl::ErrnoToStatus(err, absl::StrCat("ethtool ioctl on ", std::string(ifname)));
  }
  return absl::OkStatus();
}

absl::StatusOr<RingSizes> EthtoolLinkParamsReader::ReadRings(std::string_view ifname) {
  ethtool_ringparam ring{};
  ring.cmd = ETHTOOL_GRINGPARAM;
  if (absl::Status s = Ioctl(ifname, &ring); !s.ok()) return s;
  return RingSizes{ring.rx_pending, ring.tx_pending, ring.rx_max_pending, ring.tx_max_pending};
}

absl::StatusOr<ChannelCounts> EthtoolLinkParamsReader::ReadChannels(std::string_view ifname) {
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  if (absl::Status s = Ioctl(ifname, &ch); !s.ok()) return s;
  return ChannelCounts{ch.rx_count, ch.tx_count, ch.other_count, ch.combined_count,
                       ch.max_rx,   ch.max_tx,   ch.max_other,   ch.max_combined};
}

}  // namespace dmpd::monitor
