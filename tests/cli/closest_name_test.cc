// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/cli/closest_name.h"

#include <gtest/gtest.h>

#include "userspace/cli/version.h"

namespace dmpd {
namespace {

TEST(EditDistance, CountsInsertDeleteSubstituteAndSwap) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("status", "statuss"), 1u);
  EXPECT_EQ(EditDistance("status", "stats"), 1u);
  EXPECT_EQ(EditDistance("status", "statis"), 1u);
  EXPECT_EQ(EditDistance("status", "stauts"), 1u);  // two neighbours swapped
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ClosestName, SuggestsTheBritishSpellingOfASetting) {
  const std::vector<std::string> settings = {"max_neighbours", "max_pipes", "node_id"};
  EXPECT_EQ(ClosestName("max_neighbors", settings), "max_neighbours");
  EXPECT_EQ(DidYouMean("max_neighbors", settings), " (did you mean 'max_neighbours'?)");
}

TEST(ClosestName, NothingWhenNoNameIsCloseOrTheNameIsKnown) {
  const std::vector<std::string> commands = {"status", "node", "ports", "cluster"};
  EXPECT_EQ(ClosestName("frobnicate", commands), std::nullopt);
  EXPECT_EQ(ClosestName("status", commands), std::nullopt);
  EXPECT_EQ(DidYouMean("xyz", commands), "");
  EXPECT_EQ(ClosestName("", commands), std::nullopt);
}

TEST(ClosestName, ShortNamesAllowOneEditAndTiesGoToTheFirst) {
  EXPECT_EQ(ClosestName("lv", {"lb", "vs"}), "lb");
  EXPECT_EQ(ClosestName("nod", {"node", "nodes"}), "node");
  EXPECT_EQ(ClosestName("xy", {"lb"}), std::nullopt);
}

TEST(Version, IsTheProjectsDottedVersion) {
  const std::string v = kVersion;
  EXPECT_FALSE(v.empty());
  EXPECT_EQ(std::count(v.begin(), v.end(), '.'), 2);
}

}  // namespace
}  // namespace dmpd
