// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/runtime/port_operand.h"

#include <gtest/gtest.h>

namespace dmpd {
namespace {

const std::vector<std::string> kPorts = {"p0", "p1", "eth7"};

TEST(PortOperand, TakesTheIndexOrTheName) {
  EXPECT_EQ(*ParsePortOperand("0", kPorts), 0u);
  EXPECT_EQ(*ParsePortOperand("p0", kPorts), 0u);
  EXPECT_EQ(*ParsePortOperand("2", kPorts), 2u);
  EXPECT_EQ(*ParsePortOperand("eth7", kPorts), 2u);
}

TEST(PortOperand, ANameThatIsANumberWinsOverTheIndex) {
  EXPECT_EQ(*ParsePortOperand("1", {"p0", "7", "1"}), 2u);
}

TEST(PortOperand, RefusesWhatNamesNoPortAndSaysWhatPortMayBe) {
  auto r = ParsePortOperand("3", kPorts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no port '3': PORT is an index 0..2 or a name (p0, p1, eth7)");
  EXPECT_EQ(ParsePortOperand("eht7", kPorts).status().message(),
            "no port 'eht7' (did you mean 'eth7'?): PORT is an index 0..2 or a name (p0, p1, "
            "eth7)");
  EXPECT_FALSE(ParsePortOperand("", kPorts).ok());
  EXPECT_FALSE(ParsePortOperand("-1", kPorts).ok());
  EXPECT_FALSE(ParsePortOperand("0", {}).ok());
}

}  // namespace
}  // namespace dmpd
