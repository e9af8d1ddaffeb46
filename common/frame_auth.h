// SPDX-License-Identifier: BSD-3-Clause
// FrameAuth: the keyed MAC of control frames (PROTO-4), HMAC-SHA256 with the cluster key
// truncated to DMPD_AUTH_MAC_LEN bytes, through OpenSSL's EVP_MAC. The only file that
// touches crypto. The trailer's layout and the policy (which frames, replays) live in
// FrameWriter, FrameReceiver and ReplayWindow.
#ifndef DMPD_COMMON_FRAME_AUTH_H_
#define DMPD_COMMON_FRAME_AUTH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/dmpd_wire.h"

namespace dmpd {

inline constexpr size_t kAuthTrailerLen = sizeof(dmpd_auth_trailer);
inline constexpr size_t kAuthMacLen = DMPD_AUTH_MAC_LEN;
inline constexpr size_t kMinClusterKeyLen = 16;  // 128 bits; shorter keys are refused

class FrameAuth {
 public:
  // A key of at least kMinClusterKeyLen bytes (the configured cluster key, raw bytes).
  static absl::StatusOr<std::unique_ptr<FrameAuth>> Create(std::span<const uint8_t> key);
  ~FrameAuth();
  FrameAuth(const FrameAuth&) = delete;
  FrameAuth& operator=(const FrameAuth&) = delete;

  // `frame` is a whole frame from the DMPD header on whose last kAuthMacLen bytes are the
  // MAC: writes the MAC of everything before them there. Thread-safe.
  absl::Status Sign(std::span<uint8_t> frame) const;

  // True if the last kAuthMacLen bytes of `frame` are the MAC of the rest (constant-time
  // comparison). Thread-safe.
  bool Verify(std::span<const uint8_t> frame) const;

 private:
  struct Impl;
  explicit FrameAuth(std::unique_ptr<Impl> impl);
  absl::Status Compute(std::span<const uint8_t> data, uint8_t out[kAuthMacLen]) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dmpd

#endif  // DMPD_COMMON_FRAME_AUTH_H_
