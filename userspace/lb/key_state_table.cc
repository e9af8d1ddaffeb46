// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/lb/key_state_table.h"

#include <utility>

namespace dmpd::lb {

absl::StatusOr<KeyStateTable> KeyStateTable::Create(const ToeplitzHash* hasher, size_t capacity) {
  absl::StatusOr<FixedKeyTable<KeyState>> table = FixedKeyTable<KeyState>::Create(capacity);
  if (!table.ok()) return table.status();
  return KeyStateTable(hasher, *std::move(table));
}

}  // namespace dmpd::lb
