// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/cli/closest_name.h"

#include <algorithm>

namespace dmpd {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme suffice: the swap looks two rows back.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> ClosestName(std::string_view typed,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(typed, c);
    const size_t allowed = std::max<size_t>(1, std::max(typed.size(), c.size()) / 3);
    if (d == 0 || d > allowed || d >= best_distance) continue;
    best = c;
    best_distance = d;
  }
  return best;
}

std::string DidYouMean(std::string_view typed, const std::vector<std::string>& candidates) {
  const auto name = ClosestName(typed, candidates);
  return name ? " (did you mean '" + *name + "'?)" : "";
}

}  // namespace dmpd
