// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/balance_degree.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace dmpd::lb {

std::string_view BalanceCriterionName(BalanceCriterion c) {
  switch (c) {
    case BalanceCriterion::kLoadGapAboveMean:
      return "load-gap";
    case BalanceCriterion::kPaperBalanceDegree:
      return "paper-wl";
  }
  return "unknown";
}

absl::Status ValidateBalanceCriterion(const BalanceCriterionConfig& c) {
  if (!(c.wl_threshold >= 0) || !std::isfinite(c.wl_threshold)) {
    return absl::InvalidArgumentError(
        absl::StrCat("balance degree threshold ", c.wl_threshold, " must be a finite value >= 0"));
  }
  if (!std::isfinite(c.expected_load_mu)) {
    return absl::InvalidArgumentError("expected load mu must be finite");
  }
  if (!(c.gap_ratio >= 0) || !(c.gap_absolute >= 0) || !std::isfinite(c.gap_ratio) ||
      !std::isfinite(c.gap_absolute)) {
    return absl::InvalidArgumentError(absl::StrCat("load gap margins (", c.gap_ratio, ", ",
                                                   c.gap_absolute, ") must be finite and >= 0"));
  }
  return absl::OkStatus();
}

double MeanLoad(std::span<const double> loads) {
  if (loads.empty()) return 0;
  double sum = 0;
  for (double l : loads) sum += l;
  return sum / static_cast<double>(loads.size());
}

double SampleStdDev(std::span<const double> loads) {
  if (loads.size() < 2) return 0;
  const double mean = MeanLoad(loads);
  double squares = 0;
  for (double l : loads) squares += (l - mean) * (l - mean);
  return std::sqrt(squares / static_cast<double>(loads.size() - 1));
}

double BalanceDegree(std::span<const double> loads, double expected_load_mu) {
  const double s = SampleStdDev(loads);
  if (loads.size() < 2 || s < kLoadResolution) return 0;
  const double n = static_cast<double>(loads.size());
  return std::sqrt(n) * std::fabs(MeanLoad(loads) - expected_load_mu) / s;
}

double OverloadLimit(const LoadSummary& summary, const BalanceCriterionConfig& c) {
  switch (c.criterion) {
    case BalanceCriterion::kPaperBalanceDegree:
      // "Exceeds": WL equal to the threshold is balanced.
      return summary.wl > c.wl_threshold ? summary.mean : std::numeric_limits<double>::infinity();
    case BalanceCriterion::kLoadGapAboveMean:
      // The relative margin on loaded links, the absolute one on nearly idle links (where
      // it is the larger): the limit never tolerates more than 1 + gap_ratio times the
      // mean once the mean is above gap_absolute / gap_ratio (0.2 by default).
      return std::max(summary.mean * (1 + c.gap_ratio), summary.mean + c.gap_absolute);
  }
  return std::numeric_limits<double>::infinity();
}

LoadSummary MarkOverloadedPorts(std::span<const double> loads, const BalanceCriterionConfig& c,
                                std::span<bool> overloaded) {
  LoadSummary sum;
  sum.n = loads.size();
  sum.mean = MeanLoad(loads);
  sum.stddev = SampleStdDev(loads);
  sum.wl = BalanceDegree(loads, c.expected_load_mu);
  const double limit = OverloadLimit(sum, c);
  for (size_t i = 0; i < loads.size() && i < overloaded.size(); ++i) overloaded[i] = loads[i] > limit;
  return sum;
}

}  // namespace dmpd::lb
