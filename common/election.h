// SPDX-License-Identifier: BSD-3-Clause
// Election messages (CLU-1, CLU-4): Candidacy, Vote and Announce share one layout, the
// "election" TLV; the frame kind says which one it is. Terms order everything: a node
// ignores election messages of a term older than the one it knows.
#ifndef DMPD_COMMON_ELECTION_H_
#define DMPD_COMMON_ELECTION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/dmpd_wire.h"

namespace dmpd {

struct ElectionFields {
  uint32_t term = 0;
  uint16_t node = 0;        // candidacy: the sender; vote: its choice; announce: the master
  uint8_t priority = 0;     // the candidate's configured priority, higher wins
  uint32_t view_cycle = 0;  // the last cycle of the candidate's view: fresher views win ties
  friend bool operator==(const ElectionFields&, const ElectionFields&) = default;
};
struct Candidacy : ElectionFields {
  static constexpr uint8_t kKind = DMPD_KIND_CANDIDACY;
};
struct Vote : ElectionFields {
  static constexpr uint8_t kKind = DMPD_KIND_VOTE;
};
struct Announce : ElectionFields {
  static constexpr uint8_t kKind = DMPD_KIND_ANNOUNCE;
};

absl::Status EncodeBody(const ElectionFields& m, std::vector<uint8_t>* out);
absl::Status DecodeBody(std::span<const uint8_t> in, ElectionFields* out);

}  // namespace dmpd

#endif  // DMPD_COMMON_ELECTION_H_
