// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/closed_pipe_log.h"

namespace dmpd::pipe {

void ClosedPipeLog::Add(nlohmann::json pipe, int64_t closed_unix_ms, std::string_view how) {
  if (capacity_ == 0) return;
  pipe["state"] = "closed";
  pipe["closed_unix_ms"] = closed_unix_ms;
  pipe["closed_by"] = how;
  if (entries_.size() == capacity_) {
    entries_.pop_front();
    ++forgotten_;
  }
  entries_.push_back(std::move(pipe));
}

nlohmann::json ClosedPipeLog::Json() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) out.push_back(*it);
  return out;
}

}  // namespace dmpd::pipe
