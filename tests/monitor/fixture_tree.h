// SPDX-License-Identifier: BSD-3-Clause
// FixtureTree: a private copy of a fixture procfs/sysfs tree (tests/monitor/fixtures/NAME)
// in a temporary directory, which a test can overlay with later files or edit, and which
// is removed when the test ends.
#ifndef DMPD_TESTS_MONITOR_FIXTURE_TREE_H_
#define DMPD_TESTS_MONITOR_FIXTURE_TREE_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace dmpd::monitor::testing {

inline std::filesystem::path FixtureDir(std::string_view name) {
  return std::filesystem::path(DMPD_MONITOR_FIXTURES) / name;
}

class FixtureTree {
 public:
  explicit FixtureTree(std::string_view name) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dmpd-monitor-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    std::filesystem::copy(FixtureDir(name), root_, std::filesystem::copy_options::recursive);
  }
  ~FixtureTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;

  // Copies the files of fixture `name` over this tree (the state one interval later).
  void Overlay(std::string_view name) const {
    std::filesystem::copy(FixtureDir(name), root_,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }

  void Write(const std::filesystem::path& relative, std::string_view content) const {
    std::filesystem::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::trunc) << content;
  }

  void Remove(const std::filesystem::path& relative) const {
    std::filesystem::remove_all(root_ / relative);
  }

  std::filesystem::path proc() const { return root_ / "proc"; }
  std::filesystem::path sys() const { return root_ / "sys"; }

 private:
  std::filesystem::path root_;
};

}  // namespace dmpd::monitor::testing

#endif  // DMPD_TESTS_MONITOR_FIXTURE_TREE_H_
