// SPDX-License-Identifier: BSD-3-Clause
#include "common/frame_auth.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>

namespace dmpd {

// A keyed HMAC context; each MAC works on a duplicate of it, so the key schedule is
// computed once and concurrent callers share nothing mutable.
struct FrameAuth::Impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;
  ~Impl() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

FrameAuth::FrameAuth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FrameAuth::~FrameAuth() = default;

absl::StatusOr<std::unique_ptr<FrameAuth>> FrameAuth::Create(std::span<const uint8_t> key) {
  if (key.size() < kMinClusterKeyLen) {
    return absl::InvalidArgumentError("the cluster key must be at least 16 bytes");
  }
  auto impl = std::make_unique<Impl>();
  impl->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (impl->mac == nullptr) return absl::InternalError("OpenSSL has no HMAC");
  impl->keyed = EVP_MAC_CTX_new(impl->mac);
  if (impl->keyed == nullptr) return absl::ResourceExhaustedError("EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(impl->keyed, key.data(), key.size(), params) != 1) {
    return absl::InternalError("EVP_MAC_init(HMAC-SHA256) failed");
  }
  return std::unique_ptr<FrameAuth>(new FrameAuth(std::move(impl)));
}

absl::Status FrameAuth::Compute(std::span<const uint8_t> data, uint8_t out[kAuthMacLen]) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->keyed);
  if (ctx == nullptr) return absl::ResourceExhaustedError("EVP_MAC_CTX_dup failed");
  uint8_t full[EVP_MAX_MD_SIZE];
  size_t full_len = 0;
  const bool ok = EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
                  EVP_MAC_final(ctx, full, &full_len, sizeof(full)) == 1 && full_len >= kAuthMacLen;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return absl::InternalError("HMAC computation failed");
  std::copy(full, full + kAuthMacLen, out);
  return absl::OkStatus();
}

absl::Status FrameAuth::Sign(std::span<uint8_t> frame) const {
  if (frame.size() < kAuthMacLen) return absl::InvalidArgumentError("frame shorter than a MAC");
  const size_t covered = frame.size() - kAuthMacLen;
  return Compute(frame.first(covered), frame.data() + covered);
}

bool FrameAuth::Verify(std::span<const uint8_t> frame) const {
  if (frame.size() < kAuthMacLen) return false;
  const size_t covered = frame.size() - kAuthMacLen;
  uint8_t mac[kAuthMacLen];
  if (!Compute(frame.first(covered), mac).ok()) return false;
  return CRYPTO_memcmp(mac, frame.data() + covered, kAuthMacLen) == 0;
}

}  // namespace dmpd
