// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/vs/frame_forwarder.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/byte_order.h"

namespace dmpd::vs {

absl::StatusOr<std::unique_ptr<FrameForwarder>> FrameForwarder::Create(
    const Options& options, std::vector<MacAddress> port_macs) {
  if (port_macs.empty()) return absl::InvalidArgumentError("a forwarder needs at least one port");
  if (options.max_next_hops == 0 || options.max_wanted == 0) {
    return absl::InvalidArgumentError("max_next_hops and max_wanted must be at least 1");
  }
  absl::StatusOr<std::unique_ptr<DoubleNat>> nat = DoubleNat::Create(options.nat);
  if (!nat.ok()) return nat.status();
  return std::unique_ptr<FrameForwarder>(
      new FrameForwarder(options, *std::move(nat), std::move(port_macs)));
}

FrameForwarder::FrameForwarder(const Options& options, std::unique_ptr<DoubleNat> nat,
                               std::vector<MacAddress> port_macs)
    : options_(options), nat_(std::move(nat)), port_macs_(std::move(port_macs)) {
  // Sized once: inserting up to these counts never rehashes, so never allocates.
  next_hops_.reserve(options_.max_next_hops);
  wanted_.reserve(options_.max_wanted);
}

FrameVerdict FrameForwarder::Process(std::span<uint8_t> frame, uint64_t now_ns,
                                     uint32_t* out_port, uint32_t* next_hop) {
  if (frame.size() < kEthernetHeaderLen) {
    ++counters_.too_short;
    return FrameVerdict::kDrop;
  }
  if (LoadBe16(frame.data() + 12) != kEtherTypeIpv4) {
    ++counters_.not_ipv4;
    return FrameVerdict::kDrop;
  }
  ForwardTo to;
  switch (nat_->Process(frame.subspan(kEthernetHeaderLen), now_ns, &to)) {
    case Verdict::kNotOurs:
      return FrameVerdict::kNotOurs;
    case Verdict::kDrop:
      return FrameVerdict::kDrop;
    case Verdict::kForward:
      break;
  }
  *next_hop = to.next_hop;
  if (Address(frame, to.next_hop, now_ns, out_port)) return FrameVerdict::kForward;
  ++counters_.unresolved;
  Want(to.next_hop);
  return FrameVerdict::kUnresolved;
}

bool FrameForwarder::Address(std::span<uint8_t> frame, uint32_t next_hop, uint64_t now_ns,
                             uint32_t* out_port) {
  const auto it = next_hops_.find(next_hop);
  if (it == next_hops_.end()) return false;
  it->second.used_ns = now_ns;
  const NextHopEntry& e = it->second.entry;
  std::memcpy(frame.data(), e.mac.data(), e.mac.size());
  std::memcpy(frame.data() + 6, port_macs_[e.port].data(), 6);
  *out_port = e.port;
  return true;
}

void FrameForwarder::Want(uint32_t addr) {
  if (std::find(wanted_.begin(), wanted_.end(), addr) != wanted_.end()) return;
  if (wanted_.size() >= options_.max_wanted) {
    ++counters_.wanted_overflow;
    return;
  }
  wanted_.push_back(addr);
}

bool FrameForwarder::SetNextHop(uint32_t addr, const NextHopEntry& entry, uint64_t now_ns) {
  if (entry.port >= port_macs_.size()) {
    ++counters_.bad_next_hop_port;
    return false;
  }
  const auto it = next_hops_.find(addr);
  if (it != next_hops_.end()) {
    it->second.entry = entry;
  } else if (next_hops_.size() >= options_.max_next_hops) {
    ++counters_.next_hop_table_full;
    return false;
  } else {
    next_hops_.emplace(addr, KnownHop{entry, now_ns});
  }
  std::erase(wanted_, addr);
  return true;
}

void FrameForwarder::ForgetNextHop(uint32_t addr) { next_hops_.erase(addr); }

size_t FrameForwarder::ForgetIdle(uint64_t now_ns, uint64_t idle_ns) {
  return absl::erase_if(next_hops_, [&](const auto& kv) {
    return now_ns > kv.second.used_ns && now_ns - kv.second.used_ns > idle_ns;
  });
}

void FrameForwarder::TakeWanted(std::vector<uint32_t>& out) {
  out.insert(out.end(), wanted_.begin(), wanted_.end());
  wanted_.clear();  // keeps its capacity
}

std::vector<std::pair<uint32_t, NextHopEntry>> FrameForwarder::NextHops() const {
  std::vector<std::pair<uint32_t, NextHopEntry>> out;
  out.reserve(next_hops_.size());
  for (const auto& [addr, known] : next_hops_) out.emplace_back(addr, known.entry);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace dmpd::vs
