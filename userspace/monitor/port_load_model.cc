// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/port_load_model.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dmpd::monitor {
namespace {

double ClampedFactor(std::optional<double> p) { return std::clamp(p.value_or(0.0), 0.0, 1.0); }

}  // namespace

absl::StatusOr<PortLoadModel> PortLoadModel::Create(PortLoadWeights weights, double gamma) {
  for (double w : {weights.utilisation, weights.loss, weights.overflow}) {
    if (!(w >= 0.0 && w <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("port load weight ", w, " is outside [0, 1] (eq. 4)"));
    }
  }
  const double sum = weights.utilisation + weights.loss + weights.overflow;
  if (std::fabs(sum - 1.0) > 1e-9) {
    return absl::InvalidArgumentError(
        absl::StrCat("port load weights sum to ", sum, ", eq. (4) needs 1"));
  }
  if (!(gamma > 0.0 && gamma <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("port load smoothing gamma ", gamma, " is outside (0, 1] (eq. 6)"));
  }
  return PortLoadModel(weights, gamma);
}

double PortLoadModel::InstantLoad(const PortLoadFactors& f) const {
  return weights_.utilisation * ClampedFactor(f.utilisation_ratio) +
         weights_.loss * ClampedFactor(f.loss_ratio) +
         weights_.overflow * ClampedFactor(f.overflow_ratio);
}

double PortLoadModel::SmoothedLoad(double instant_load, std::optional<double> previous_load) const {
  if (!previous_load) return instant_load;
  return gamma_ * instant_load + (1.0 - gamma_) * *previous_load;
}

}  // namespace dmpd::monitor
