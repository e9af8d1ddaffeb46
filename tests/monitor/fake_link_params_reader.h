// SPDX-License-Identifier: BSD-3-Clause
// A LinkParamsReader that answers like veth: channels yes, ring parameters unsupported.
#ifndef DMPD_TESTS_MONITOR_FAKE_LINK_PARAMS_READER_H_
#define DMPD_TESTS_MONITOR_FAKE_LINK_PARAMS_READER_H_

#include <string>

#include "absl/status/status.h"
#include "userspace/monitor/link_params_reader.h"

namespace dmpd::monitor::testing {

class FakeLinkParamsReader final : public LinkParamsReader {
 public:
  absl::StatusOr<RingSizes> ReadRings(std::string_view ifname) override {
    if (ifname == "eth1") return RingSizes{512, 512, 4096, 4096};
    return absl::UnimplementedError("Operation not supported");
  }
  absl::StatusOr<ChannelCounts> ReadChannels(std::string_view ifname) override {
    if (ifname == "eth1") return ChannelCounts{0, 0, 1, 8, 0, 0, 1, 63};
    ChannelCounts c;  // veth: rx/tx channels, no combined
    c.rx = c.tx = c.max_rx = c.max_tx = 2;
    return c;
  }
};

}  // namespace dmpd::monitor::testing

#endif  // DMPD_TESTS_MONITOR_FAKE_LINK_PARAMS_READER_H_
