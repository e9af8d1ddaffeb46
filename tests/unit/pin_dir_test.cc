// SPDX-License-Identifier: BSD-3-Clause
// The pin directory's path check (REL-4): the rule per component as pure logic, then the
// walk that creates and checks a real tree on a tmpfs of its own (root only: chown).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "userspace/xdp/bpffs.h"

namespace dmpd {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kRoot = 0;
constexpr uid_t kOther = 4242;

PathFacts Dir(uid_t uid, mode_t mode, bool sticky_root = false) {
  return {.path = "/x/y",
          .is_dir = true,
          .is_symlink = false,
          .uid = uid,
          .mode = mode,
          .is_sticky_bpffs_root = sticky_root};
}

std::string Refusal(const PathFacts& f, bool in_sticky_root = false, uid_t self = kRoot) {
  auto v = CheckPinDirComponent(f, in_sticky_root, self);
  EXPECT_FALSE(v.ok()) << "accepted " << f.path << " mode " << std::oct << f.mode;
  return std::string(v.status().message());
}

TEST(PinDirRule, RootOwnedAndNotWritableByOthersIsKept) {
  EXPECT_EQ(*CheckPinDirComponent(Dir(kRoot, 0755), false, kRoot), PinDirVerdict::kKeep);
  EXPECT_EQ(*CheckPinDirComponent(Dir(kRoot, 0700), false, kRoot), PinDirVerdict::kKeep);
  EXPECT_EQ(*CheckPinDirComponent(Dir(kRoot, 0555), false, kRoot), PinDirVerdict::kKeep);
}

TEST(PinDirRule, WritableByGroupOrOthersIsRefused) {
  EXPECT_THAT(Refusal(Dir(kRoot, 0775)), HasSubstr("mode 0775 lets its group"));
  EXPECT_THAT(Refusal(Dir(kRoot, 0777)), HasSubstr("lets any user"));
  EXPECT_THAT(Refusal(Dir(kRoot, 0777)), HasSubstr("chmod go-w /x/y"));
  // Sticky is not enough unless it is the bpffs mount point itself.
  EXPECT_THAT(Refusal(Dir(kRoot, 01777)), HasSubstr("mode 1777"));
  EXPECT_EQ(*CheckPinDirComponent(Dir(kRoot, 01777, /*sticky_root=*/true), false, kRoot),
            PinDirVerdict::kKeep);
  // Not sticky: a bpffs mount point writable by anyone is refused like any directory.
  EXPECT_THAT(Refusal(Dir(kRoot, 0777, /*sticky_root=*/true)), HasSubstr("mode 0777"));
}

TEST(PinDirRule, OwnedBySomeoneElseIsRefused) {
  EXPECT_THAT(Refusal(Dir(kOther, 0755)), HasSubstr("owned by uid 4242, not root"));
  // The daemon's own user is trusted as well as root.
  EXPECT_EQ(*CheckPinDirComponent(Dir(kOther, 0700), false, kOther), PinDirVerdict::kKeep);
}

TEST(PinDirRule, InTheStickyRootOnlyOurOwnAnd0700) {
  EXPECT_THAT(Refusal(Dir(kOther, 0700), /*in_sticky_root=*/true),
              HasSubstr("not this daemon's user"));
  EXPECT_EQ(*CheckPinDirComponent(Dir(kRoot, 0700), true, kRoot), PinDirVerdict::kKeep);
  EXPECT_EQ(*CheckPinDirComponent(Dir(kRoot, 0755), true, kRoot), PinDirVerdict::kTighten);
  EXPECT_THAT(Refusal(Dir(kRoot, 0770), true), HasSubstr("its group"));
}

TEST(PinDirRule, SymlinksAndFiles) {
  PathFacts link = Dir(kOther, 0777);
  link.is_dir = false;
  link.is_symlink = true;
  EXPECT_THAT(Refusal(link), HasSubstr("symlink owned by uid 4242"));
  link.uid = kRoot;
  EXPECT_EQ(*CheckPinDirComponent(link, false, kRoot), PinDirVerdict::kFollowLink);
  PathFacts file = Dir(kRoot, 0644);
  file.is_dir = false;
  EXPECT_THAT(Refusal(file), HasSubstr("not a directory"));
}

// A tmpfs mounted for the test on a fresh directory; the walk starts at "/", and the
// directories above it (/tmp is 1777) are declared the "bpffs mount point" by the test's
// predicate, which is exactly the exception under test.
class PinDirTree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount, chown)";
    char tmpl[] = "/tmp/dmpd_pin_dir_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    ASSERT_EQ(::mount("tmpfs", base_.c_str(), "tmpfs", 0, "mode=0755,size=1m"), 0);
    mounted_ = true;
    root_ = base_ + "/bpf";  // plays /sys/fs/bpf
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    options_.is_bpffs_mount_point = [this](const std::string& p) {
      return p == root_ || p == "/tmp";
    };
  }
  void TearDown() override {
    if (mounted_) ::umount2(base_.c_str(), MNT_DETACH);
    if (!base_.empty()) ::rmdir(base_.c_str());
  }
  static mode_t ModeOf(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }

  std::string base_, root_;
  bool mounted_ = false;
  PinDirOptions options_;
};

TEST_F(PinDirTree, MissingDirectoriesAreCreated0700) {
  const std::string dir = root_ + "/dmpd/node1/eth0";
  ASSERT_TRUE(EnsurePinDir(dir, options_).ok());
  for (const std::string& p : {root_ + "/dmpd", root_ + "/dmpd/node1", dir}) {
    EXPECT_EQ(ModeOf(p), 0700u) << p;
  }
  EXPECT_TRUE(EnsurePinDir(dir, options_).ok()) << "idempotent";
}

TEST_F(PinDirTree, GroupOrWorldWritableParentIsRefused) {
  ASSERT_EQ(::mkdir((root_ + "/dmpd").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((root_ + "/dmpd").c_str(), 0775), 0);
  auto s = EnsurePinDir(root_ + "/dmpd/node1", options_);
  EXPECT_THAT(std::string(s.message()), HasSubstr(root_ + "/dmpd: mode 0775"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/dmpd/node1")) << "nothing made below it";
  ASSERT_EQ(::chmod((root_ + "/dmpd").c_str(), 01777), 0);  // sticky, not the mount point
  EXPECT_FALSE(EnsurePinDir(root_ + "/dmpd/node1", options_).ok());
}

TEST_F(PinDirTree, ParentOwnedByAnotherUserIsRefused) {
  ASSERT_EQ(::mkdir((root_ + "/dmpd").c_str(), 0755), 0);
  ASSERT_EQ(::chown((root_ + "/dmpd").c_str(), kOther, kOther), 0);
  auto s = EnsurePinDir(root_ + "/dmpd/node1", options_);
  EXPECT_THAT(std::string(s.message()), HasSubstr("owned by uid 4242"));
}

TEST_F(PinDirTree, StickyBpffsRootIsToleratedButWhatIsInItMustBeOurs) {
  ASSERT_EQ(::chmod(root_.c_str(), 01777), 0);
  EXPECT_TRUE(EnsurePinDir(root_ + "/dmpd/node1", options_).ok());
  EXPECT_EQ(ModeOf(root_ + "/dmpd"), 0700u);
  // Ours but left 0755 by an older version: tightened.
  ASSERT_EQ(::chmod((root_ + "/dmpd").c_str(), 0755), 0);
  EXPECT_TRUE(EnsurePinDir(root_ + "/dmpd/node1", options_).ok());
  EXPECT_EQ(ModeOf(root_ + "/dmpd"), 0700u);
  // Made first by another user (anyone can, in a 1777 directory): refused.
  ASSERT_EQ(::chown((root_ + "/dmpd").c_str(), kOther, kOther), 0);
  auto s = EnsurePinDir(root_ + "/dmpd/node1", options_);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not this daemon's user"));
  // Without the mount-point exception the sticky directory itself is refused.
  PinDirOptions strict;
  strict.is_bpffs_mount_point = [](const std::string& p) { return p == "/tmp"; };
  s = EnsurePinDir(root_ + "/x", strict);
  EXPECT_THAT(std::string(s.message()), HasSubstr(root_ + ": mode 1777"));
}

TEST_F(PinDirTree, SymlinkOfAnotherUserIsRefused) {
  ASSERT_EQ(::mkdir((root_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((root_ + "/real").c_str(), (root_ + "/dmpd").c_str()), 0);
  EXPECT_TRUE(EnsurePinDir(root_ + "/dmpd/node1", options_).ok()) << "root's link: followed";
  EXPECT_TRUE(std::filesystem::is_directory(root_ + "/real/node1"));
  ASSERT_EQ(::lchown((root_ + "/dmpd").c_str(), kOther, kOther), 0);
  auto s = EnsurePinDir(root_ + "/dmpd/node1", options_);
  EXPECT_THAT(std::string(s.message()), HasSubstr("symlink owned by uid 4242"));
}

TEST(PinDirPath, MustBeAbsoluteWithoutDotDot) {
  EXPECT_FALSE(EnsurePinDir("relative/dir").ok());
  EXPECT_THAT(std::string(EnsurePinDir("/sys/fs/bpf/../../etc").message()), HasSubstr(".."));
}

}  // namespace
}  // namespace dmpd
