// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/daemon/cluster_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace dmpd {
namespace {

class ClusterKeyTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes, mode_t mode) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << bytes;
    chmod(path.c_str(), mode);
    return path;
  }
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_ = absl::StrCat("/tmp/dmpd_key_test_", getpid());
};

TEST_F(ClusterKeyTest, AcceptsAnOwnerOnlyKeyAndSignsWithIt) {
  auto a = LoadClusterKey(Write("k", "0123456789abcdef0123456789abcdef\n", 0600));
  ASSERT_TRUE(a.ok()) << a.status();
  // The trailing newline is not part of the key: the same key without it verifies.
  auto b = LoadClusterKey(Write("k2", "0123456789abcdef0123456789abcdef", 0400));
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<uint8_t> frame(40 + kAuthMacLen, 7);
  ASSERT_TRUE((*a)->Sign(frame).ok());
  EXPECT_TRUE((*b)->Verify(frame));
}

TEST_F(ClusterKeyTest, RefusesAKeyOthersCanReadWithTheFix) {
  const std::string path = Write("k", "0123456789abcdef0123456789abcdef", 0644);
  auto a = LoadClusterKey(path);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(a.status().message().find("chmod 600"), std::string::npos) << a.status();
  EXPECT_FALSE(LoadClusterKey(Write("g", "0123456789abcdef0123456789abcdef", 0640)).ok());
}

TEST_F(ClusterKeyTest, RefusesShortMissingLinkedAndHugeKeys) {
  EXPECT_FALSE(LoadClusterKey(Write("short", "tooshort", 0600)).ok());
  EXPECT_FALSE(LoadClusterKey(dir_ + "/missing").ok());
  const std::string target = Write("real", "0123456789abcdef0123456789abcdef", 0600);
  const std::string link = dir_ + "/link";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(LoadClusterKey(link).ok());
  EXPECT_FALSE(LoadClusterKey(Write("huge", std::string(5000, 'k'), 0600)).ok());
  EXPECT_FALSE(LoadClusterKey(dir_).ok());  // a directory
}

}  // namespace
}  // namespace dmpd
