// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/prometheus_text_writer.h"

#include <charconv>
#include <cmath>

namespace dmpd::monitor {
namespace {

// HELP text escapes \ and newline; label values also escape ".
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void PrometheusTextWriter::Family(std::string_view name, std::string_view type,
                                  std::string_view help) {
  name_ = name;
  pending_header_.clear();
  pending_header_.append("# HELP ").append(name).append(" ");
  AppendEscaped(pending_header_, help, false);
  pending_header_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusTextWriter::BeginSample(const Labels& labels) {
  out_ += pending_header_;
  pending_header_.clear();
  out_ += name_;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_ += ',';
      out_.append(labels[i].first).append("=\"");
      AppendEscaped(out_, labels[i].second, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void PrometheusTextWriter::Sample(const Labels& labels, uint64_t value) {
  BeginSample(labels);
  out_.append(std::to_string(value)).append("\n");
}

void PrometheusTextWriter::Sample(const Labels& labels, double value) {
  BeginSample(labels);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    // Whole numbers as integers: 100000000 rather than 1e+08, for people reading it.
    out_ += std::to_string(static_cast<int64_t>(value));
  } else {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out_.append(buf, ec == std::errc() ? end : buf);
  }
  out_ += '\n';
}

void PrometheusTextWriter::Sample(const Labels& labels, std::optional<uint64_t> value) {
  if (value) Sample(labels, *value);
}

void PrometheusTextWriter::Sample(const Labels& labels, std::optional<double> value) {
  if (value) Sample(labels, *value);
}

}  // namespace dmpd::monitor
