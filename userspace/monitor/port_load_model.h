// SPDX-License-Identifier: BSD-3-Clause
// The paper's port-load model (§3.2; SPEC LB-2): L_i = Σ_k λ_k p_k over three factors,
// smoothed by an EWMA. The load balancer ranks ports by the smoothed load.
#ifndef DMPD_USERSPACE_MONITOR_PORT_LOAD_MODEL_H_
#define DMPD_USERSPACE_MONITOR_PORT_LOAD_MODEL_H_

#include <optional>

#include "absl/status/statusor.h"

namespace dmpd::monitor {

// λ_k, the paper's weights found "by repeated experiment".
struct PortLoadWeights {
  double utilisation = 0.84;
  double loss = 0.09;
  double overflow = 0.07;
};

// p_k, each a ratio; a factor that is not available counts as 0 (no evidence of load).
struct PortLoadFactors {
  std::optional<double> utilisation_ratio;
  std::optional<double> loss_ratio;
  std::optional<double> overflow_ratio;
};

class PortLoadModel {
 public:
  static constexpr double kPaperGamma = 0.8;

  // Checks eq. (4): every λ_k in [0, 1] and Σ λ_k = 1 (within 1e-9); γ in (0, 1].
  static absl::StatusOr<PortLoadModel> Create(PortLoadWeights weights = {},
                                              double gamma = kPaperGamma);

  // eq. (5): L'_i(t) = Σ_k λ_k p_k, each p_k clamped to [0, 1] so that the load stays a
  // ratio (utilisation of a full-duplex link can read up to 2).
  double InstantLoad(const PortLoadFactors& factors) const;

  // eq. (6): L_i(t) = γ L'_i(t) + (1 − γ) L_i(t−1); the first sample is taken as it is.
  double SmoothedLoad(double instant_load, std::optional<double> previous_load) const;

  const PortLoadWeights& weights() const { return weights_; }
  double gamma() const { return gamma_; }

 private:
  PortLoadModel(PortLoadWeights weights, double gamma) : weights_(weights), gamma_(gamma) {}

  PortLoadWeights weights_;
  double gamma_;
};

}  // namespace dmpd::monitor

#endif  // DMPD_USERSPACE_MONITOR_PORT_LOAD_MODEL_H_
