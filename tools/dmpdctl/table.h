// SPDX-License-Identifier: BSD-3-Clause
// Table: left-aligned text columns sized to their widest cell, for dmpdctl's views.
#ifndef DMPD_TOOLS_DMPDCTL_TABLE_H_
#define DMPD_TOOLS_DMPDCTL_TABLE_H_

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace dmpd {

class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void Print(std::ostream& out) const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()), 0);
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Columns(row[i]));
    }
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) {
        out << row[i];
        if (i + 1 < row.size()) out << std::string(width[i] - Columns(row[i]) + 2, ' ');
      }
      out << "\n";
    }
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

#endif  // DMPD_TOOLS_DMPDCTL_TABLE_H_
