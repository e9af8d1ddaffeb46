// SPDX-License-Identifier: BSD-3-Clause
// What the balancer's tests give it: node 1's ports and node 2's view, loads by hand.
#ifndef DMPD_TESTS_LB_LB_TEST_SUPPORT_H_
#define DMPD_TESTS_LB_LB_TEST_SUPPORT_H_

#include <cstdint>
#include <vector>

#include "common/node_view.h"
#include "common/port_info.h"
#include "userspace/lb/port_input.h"

namespace dmpd::lb::test_support {

inline constexpr uint16_t kLocalNode = 1;
inline constexpr uint16_t kPeer = 2;

inline MacAddress LocalMac(uint16_t port) { return {0x02, 0, 0, 0, 1, static_cast<uint8_t>(port)}; }
inline MacAddress PeerMac(uint16_t port) { return {0x02, 0, 0, 0, 2, static_cast<uint8_t>(port)}; }

// Node 1's ports with these loads (all available unless `up` says otherwise); port i sends
// on TX queue 10 + i.
inline std::vector<PortInput> Local(const std::vector<double>& loads,
                                    const std::vector<bool>& up = {}) {
  std::vector<PortInput> out;
  for (size_t i = 0; i < loads.size(); ++i) {
    const auto id = static_cast<uint16_t>(i);
    out.push_back(
        PortInput{id, LocalMac(id), up.empty() || up[i], loads[i], static_cast<uint16_t>(10 + i)});
  }
  return out;
}

// Node 2's view: its ports with these loads (load_ppm), up unless `up` says otherwise.
inline NodeView PeerView(const std::vector<double>& loads, const std::vector<bool>& up = {}) {
  NodeView v;
  v.info.id = kPeer;
  for (size_t i = 0; i < loads.size(); ++i) {
    PortInfo& p = v.ports.emplace_back();
    p.id = static_cast<uint16_t>(i);
    p.mac = PeerMac(p.id);
    p.state = up.empty() || up[i] ? kPortUp : kPortDown;
    p.load_ppm = PpmFromRatio(loads[i]);
  }
  return v;
}

}  // namespace dmpd::lb::test_support

#endif  // DMPD_TESTS_LB_LB_TEST_SUPPORT_H_
