// SPDX-License-Identifier: BSD-3-Clause
// TextTable: left-aligned text columns sized to their widest cell, for the human views of
// dmpdctl (the JSON views are the data; this only lays them out).
#ifndef DMPD_USERSPACE_MONITOR_TEXT_TABLE_H_
#define DMPD_USERSPACE_MONITOR_TEXT_TABLE_H_

#include <algorithm>
#include <string>
#include <vector>

namespace dmpd {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  std::string Render() const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()), 0);
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Columns(row[i]));
    }
    std::string out;
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) {
        out += row[i];
        if (i + 1 < row.size()) out.append(width[i] - Columns(row[i]) + 2, ' ');
      }
      out += "\n";
    }
    return out;
  }

 private:
  // Display width: counts UTF-8 lead bytes, so "→" is one column.
  static size_t Columns(const std::string& s) {
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  }
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace dmpd

#endif  // DMPD_USERSPACE_MONITOR_TEXT_TABLE_H_
