// SPDX-License-Identifier: BSD-3-Clause
// FeedbackController: PIPE-3. From the node's monitoring data (how much of the mbuf pools,
// of the ring memory and of the worker's time is in use) it sets the allowance of each
// pipe: the rate the pipe may send at on top of its own threshold. When the node runs short
// the pipes of the lowest priority that still send are cut first (halved each step, never
// below a floor), one priority level a step, so high-priority pipes keep their rate for as
// long as lower ones can give (the highest level that sends is never cut); when the node has room again the allowances grow back (by a
// quarter a step, highest priority first) and are lifted once above what the pipe asked
// for (or above what it sent before the first cut). Between the two watermarks nothing changes (no oscillation around one threshold).
// Pure: the daemon calls Step() once a sample and applies what comes out.
#ifndef DMPD_USERSPACE_PIPE_FEEDBACK_CONTROLLER_H_
#define DMPD_USERSPACE_PIPE_FEEDBACK_CONTROLLER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dmpd::pipe {

struct FeedbackConfig {
  double high_watermark = 0.85;  // a resource above this: short
  double low_watermark = 0.60;   // every resource below this: room again
  double cut = 0.5;              // allowance × cut per step while short
  double grow = 1.25;            // allowance × grow per step with room
  uint64_t floor_bytes_per_s = 64 * 1024;
};

// How much of each shared resource is in use, 0..1; absent: not measured.
struct NodePressure {
  std::optional<double> buffers;      // mbufs in use over the pools' size
  std::optional<double> ring_memory;  // pipe ring memory over pipe_memory_mb
  std::optional<double> worker_busy;  // the worker's busy polls over all polls
};

struct PipeLoad {
  uint32_t slot = 0;
  uint8_t priority = 0;
  uint64_t configured_bytes_per_s = 0;  // its own threshold, 0: none
  double sent_bytes_per_s = 0;          // measured over the last interval
};

struct Allowance {
  uint32_t slot = 0;
  std::optional<uint64_t> bytes_per_s;  // nullopt: no allowance (its own threshold only)
  friend bool operator==(const Allowance&, const Allowance&) = default;
};

class FeedbackController {
 public:
  explicit FeedbackController(const FeedbackConfig& config = {}) : config_(config) {}

  // One step; returns the allowances that changed. Pipes not listed are forgotten.
  std::vector<Allowance> Step(const NodePressure& pressure, std::span<const PipeLoad> pipes);

  bool short_of_resources() const { return short_; }
  std::optional<uint64_t> allowance(uint32_t slot) const;

 private:
  bool Cut(std::span<const PipeLoad> pipes, std::vector<Allowance>* changed);
  void Grow(std::span<const PipeLoad> pipes, std::vector<Allowance>* changed);

  FeedbackConfig config_;
  bool short_ = false;
  std::vector<std::optional<uint64_t>> allowances_;  // by slot
  std::vector<double> uncut_;  // by slot: what it sent when first cut, where recovery ends
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_FEEDBACK_CONTROLLER_H_
