// SPDX-License-Identifier: BSD-3-Clause
// Field groups (PROTO-2): absent is not zero, fields a newer sender appends are skipped,
// ratios as ppm; and the reason codes carried by statuses.
#include "common/field_group.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "common/decode_error.h"
#include "common/master_observation.h"
#include "common/peer_receipt.h"
#include "common/node_info.h"
#include "common/pipe_info.h"
#include "common/port_info.h"
#include "tests/protocol/protocol_test_util.h"

namespace dmpd {
namespace {

std::vector<uint8_t> Encode(const PortInfo& p) {
  std::vector<uint8_t> out;
  TlvWriter w(&out);
  EncodeGroup(p, &w);
  EXPECT_TRUE(w.status().ok());
  return std::vector<uint8_t>(out.begin() + kTlvHeaderLen, out.end());  // the value
}

TEST(FieldGroup, AbsentIsNotZero) {
  PortInfo zero;
  zero.id = 2;
  zero.drops = 0;
  PortInfo absent;
  absent.id = 2;
  EXPECT_EQ(testing::Hex(Encode(zero)),
            "000200000100"
            "0000000000000000");
  EXPECT_EQ(testing::Hex(Encode(absent)), "000200000000");
  PortInfo back;
  ASSERT_TRUE(DecodeGroup(Encode(absent), &back).ok());
  EXPECT_FALSE(back.drops.has_value());
  ASSERT_TRUE(DecodeGroup(Encode(zero), &back).ok());
  EXPECT_EQ(back.drops, 0u);
}

// A newer sender's port group: bit 20 set (a field this version lacks) and its 8 bytes
// after ours. The known fields come out; the rest is ignored.
TEST(FieldGroup, NewerFieldsAreSkipped) {
  PortInfo p;
  p.id = 1;
  p.state = kPortUp;
  p.load_ppm = 123;
  std::vector<uint8_t> v = Encode(p);
  v[2] |= 0x10;  // presence bit 20
  v.insert(v.end(), 8, 0xEE);
  PortInfo back;
  ASSERT_TRUE(DecodeGroup(v, &back).ok());
  EXPECT_EQ(back, p);
}

TEST(FieldGroup, DecodeResetsFieldsAbsentFromTheWire) {
  PortInfo stale;
  stale.rx_bytes = 5;
  PortInfo p;
  p.id = 1;
  ASSERT_TRUE(DecodeGroup(Encode(p), &stale).ok());
  EXPECT_EQ(stale, p);
}

TEST(FieldGroup, RatiosArePartsPerMillion) {
  EXPECT_EQ(PpmFromRatio(0.25), 250'000u);
  EXPECT_EQ(PpmFromRatio(1.0), kPpmPerUnit);
  EXPECT_EQ(PpmFromRatio(-1.0), 0u);
  EXPECT_EQ(PpmFromRatio(1e9), 0xFFFFFFFFu);
  EXPECT_DOUBLE_EQ(RatioFromPpm(500'000), 0.5);
}

TEST(FieldGroup, BitsAscend) {
  EXPECT_TRUE(BitsAscend(NodeInfo::kBits));
  EXPECT_TRUE(BitsAscend(PortInfo::kBits));
  EXPECT_FALSE(BitsAscend(std::to_array({0, 2, 1})));
  EXPECT_FALSE(BitsAscend(std::to_array({0, 32})));
}

// docs/protocol.md and the dissector list the groups' fields by hand: every field of the
// X-macro lists must be in both, at its bit.
std::string ReadAll(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct FieldName {
  int bit;
  const char* name;
};
#define DMPD_TEST_FIELD_NAME(bit, name, type, doc) FieldName{bit, #name},

TEST(FieldGroup, DocsAndDissectorNameEveryField) {
  const std::string docs = ReadAll(DMPD_PROTOCOL_DOC);
  const std::string lua = ReadAll(DMPD_DISSECTOR);
  ASSERT_FALSE(docs.empty());
  ASSERT_FALSE(lua.empty());
  const std::vector<FieldName> fields = {
      DMPD_NODE_INFO_FIELDS(DMPD_TEST_FIELD_NAME) DMPD_PORT_INFO_FIELDS(DMPD_TEST_FIELD_NAME)
          DMPD_PIPE_INFO_FIELDS(DMPD_TEST_FIELD_NAME)
              DMPD_MASTER_OBSERVATION_FIELDS(DMPD_TEST_FIELD_NAME)
                  DMPD_PEER_RECEIPT_FIELDS(DMPD_TEST_FIELD_NAME)};
  for (const FieldName& f : fields) {
    const std::string bit = std::to_string(f.bit);
    EXPECT_NE(docs.find("| " + bit + " | " + f.name + " |"), std::string::npos) << f.name;
    EXPECT_NE(lua.find("{" + bit + ", \"" + f.name + "\", "), std::string::npos) << f.name;
  }
}

TEST(DecodeErrorStatus, EveryReasonSurvivesTheStatus) {
  for (size_t i = 0; i < kDecodeErrorCount; ++i) {
    const auto e = static_cast<DecodeError>(i);
    const absl::Status s = DecodeFailure(e);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(DecodeErrorOf(s), e);
    EXPECT_EQ(std::string(s.message()), std::string(DecodeErrorName(e)));
  }
  EXPECT_EQ(DecodeFailure(DecodeError::kBadMac).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(DecodeErrorOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(DecodeErrorOf(absl::InvalidArgumentError("x")), std::nullopt);
}

}  // namespace
}  // namespace dmpd
