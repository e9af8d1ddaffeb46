// SPDX-License-Identifier: BSD-3-Clause
#include "common/message.h"

#include <utility>

#include "common/decode_error.h"

namespace dmpd {
namespace {

// Finds the alternative whose kKind is `kind` and decodes into it.
template <size_t... I>
absl::Status DecodeAs(uint8_t kind, std::span<const uint8_t> in, MessageBody* out,
                      std::index_sequence<I...>) {
  absl::Status s = DecodeFailure(DecodeError::kUnknownKind);
  (void)((std::variant_alternative_t<I, MessageBody>::kKind == kind
              ? (s = DecodeBody(in, &out->template emplace<I>()), true)
              : false) ||
         ...);
  return s;
}

}  // namespace

uint8_t KindOf(const MessageBody& body) {
  return std::visit([](const auto& m) { return std::remove_cvref_t<decltype(m)>::kKind; }, body);
}

absl::Status EncodeMessageBody(const MessageBody& body, std::vector<uint8_t>* out) {
  return std::visit([out](const auto& m) { return EncodeBody(m, out); }, body);
}

absl::Status DecodeMessageBody(uint8_t kind, std::span<const uint8_t> in, MessageBody* out) {
  return DecodeAs(kind, in, out, std::make_index_sequence<std::variant_size_v<MessageBody>>{});
}

}  // namespace dmpd
