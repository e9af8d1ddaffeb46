// SPDX-License-Identifier: BSD-3-Clause
// PortChooser: which local ports, and which of the destination node's ports, carry a
// message (PIPE-5 for k copies; the load balancer of issue 10 plugs in here). The default,
// HashPortChooser, spreads flows by the Toeplitz hash of the flow key (LB-1) over the ports
// that are up, k distinct ones for k copies; a flow keeps its ports while they stay up, so
// its messages stay in order.
#ifndef DMPD_USERSPACE_PIPE_PORT_CHOOSER_H_
#define DMPD_USERSPACE_PIPE_PORT_CHOOSER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/mac_address.h"
#include "userspace/lb/toeplitz_hash.h"

namespace dmpd::pipe {

inline constexpr size_t kMaxRoutePorts = 16;

// How to reach a node: the MACs of its ports (from the neighbour table or the view).
struct Route {
  uint8_t count = 0;
  std::array<MacAddress, kMaxRoutePorts> macs{};
};

struct PortChoice {
  size_t port = 0;   // local port
  MacAddress dst{};  // the destination node's port
};

class PortChooser {
 public:
  virtual ~PortChooser() = default;
  // Fills up to `copies` choices on distinct local ports from `up_ports` for a message of
  // `bytes`; returns how many (fewer when fewer ports are up; 0 when none is or the route
  // is empty).
  virtual size_t Choose(const lb::BalanceKey& key, size_t bytes, const Route& route,
                        std::span<const size_t> up_ports, size_t copies,
                        std::span<PortChoice> out) = 0;
  // Once per worker poll, before the poll's choices: housekeeping that must run on the
  // worker (a balancer publishing its report), whether messages flow or not.
  virtual void Poll() {}
};

class HashPortChooser final : public PortChooser {
 public:
  HashPortChooser() : hash_(lb::ToeplitzHash::CreateMicrosoftDefault()) {}
  size_t Choose(const lb::BalanceKey& key, size_t /*bytes*/, const Route& route,
                std::span<const size_t> up_ports, size_t copies,
                std::span<PortChoice> out) override {
    if (up_ports.empty() || route.count == 0) return 0;
    const uint32_t h = hash_.Hash(key);
    size_t n = std::min({copies, up_ports.size(), out.size()});
    for (size_t i = 0; i < n; ++i) {
      out[i].port = up_ports[(h + i) % up_ports.size()];
      out[i].dst = route.macs[(h + i) % route.count];
    }
    return n;
  }

 private:
  lb::ToeplitzHash hash_;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_PORT_CHOOSER_H_
