// SPDX-License-Identifier: BSD-3-Clause
// The last pipes that closed, with their final counters: what an application's pipe did is
// still there to read after the application exits (`dmpdctl pipes`, "recently closed").
// Bounded: the oldest entry gives way to a new one. Time comes in; nothing is read here.
#ifndef DMPD_USERSPACE_PIPE_CLOSED_PIPE_LOG_H_
#define DMPD_USERSPACE_PIPE_CLOSED_PIPE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string_view>

namespace dmpd::pipe {

class ClosedPipeLog {
 public:
  static constexpr size_t kDefaultCapacity = 64;

  explicit ClosedPipeLog(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // `pipe` is the pipe's report as it stood when the worker let go of it; the entry adds
  // when (Unix ms) and how it closed ("closed" by its application, "reclaimed" when the
  // application went away without closing it).
  void Add(nlohmann::json pipe, int64_t closed_unix_ms, std::string_view how);

  // Newest first.
  nlohmann::json Json() const;
  size_t size() const { return entries_.size(); }
  uint64_t forgotten() const { return forgotten_; }  // entries that gave way

 private:
  size_t capacity_;
  std::deque<nlohmann::json> entries_;  // oldest first
  uint64_t forgotten_ = 0;
};

}  // namespace dmpd::pipe

#endif  // DMPD_USERSPACE_PIPE_CLOSED_PIPE_LOG_H_
