// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/monitor/health_checker.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dmpd::monitor {
namespace {

bool OverLimit(std::optional<double> value, std::optional<double> limit) {
  return value && limit && *value > *limit;
}

std::string Percent(double ratio) { return absl::StrFormat("%.1f%%", ratio * 100); }

}  // namespace

std::string_view HealthCheckName(HealthCheck c) {
  for (const HealthCheckInfo& i : kHealthChecks) {
    if (i.check == c) return i.name;
  }
  return "unknown";
}

absl::StatusOr<HealthChecker> HealthChecker::Create(HealthConfig config) {
  if (config.lcore_stall_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("health: lcore stall time must be positive");
  }
  if (config.sustained_samples == 0) {
    return absl::InvalidArgumentError("health: sustained samples must be at least 1");
  }
  for (std::optional<double> limit : {config.max_memory_utilisation_ratio,
                                      config.max_cpu_utilisation_ratio, config.max_loss_ratio}) {
    if (limit && !(*limit > 0 && *limit <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("health: limit ", *limit, " is not a ratio in (0, 1]"));
    }
  }
  return HealthChecker(config);
}

HealthVerdict HealthChecker::Evaluate(const NodeSample& s) {
  HealthVerdict v;
  const auto fail = [&](HealthCheck c, std::string detail) {
    v.reasons.push_back({c, std::move(detail)});
  };

  if (config_.check_lan_ports) {
    size_t up = 0;
    for (const PortSample& p : s.ports) up += p.up ? 1 : 0;
    const size_t expected = std::max(s.ports.size(), s.static_info.configured_ports.size());
    if (expected > 0 && up == 0) {
      fail(HealthCheck::kLanPortsDown, absl::StrCat("all ", expected, " LAN ports are down"));
    }
  }

  for (const LcoreSample& l : s.lcores) {
    if (l.role == "control") continue;  // the control lcore is the one running this
    if (l.since_progress >= config_.lcore_stall_after) {
      fail(HealthCheck::kLcoreStalled, absl::StrCat("lcore ", l.lcore_id, " made no progress for ",
                                                    absl::FormatDuration(l.since_progress)));
    }
  }

  if (OverLimit(s.system.memory_utilisation_ratio, config_.max_memory_utilisation_ratio)) {
    fail(HealthCheck::kMemoryHigh,
         absl::StrCat("memory utilisation ", Percent(*s.system.memory_utilisation_ratio), " above ",
                      Percent(*config_.max_memory_utilisation_ratio)));
  }

  cpu_high_samples_ = OverLimit(s.system.cpu_utilisation_ratio, config_.max_cpu_utilisation_ratio)
                          ? cpu_high_samples_ + 1
                          : 0;
  if (cpu_high_samples_ >= config_.sustained_samples) {
    fail(HealthCheck::kCpuHigh,
         absl::StrCat("CPU utilisation ", Percent(*s.system.cpu_utilisation_ratio), " above ",
                      Percent(*config_.max_cpu_utilisation_ratio), " for ", cpu_high_samples_,
                      " samples"));
  }

  for (const PortSample& p : s.ports) {
    uint32_t& n = loss_high_samples_[p.name];
    n = OverLimit(p.loss_ratio, config_.max_loss_ratio) ? n + 1 : 0;
    if (n >= config_.sustained_samples) {
      fail(HealthCheck::kSustainedLoss,
           absl::StrCat("port ", p.name, " loses ", Percent(*p.loss_ratio), " (limit ",
                        Percent(*config_.max_loss_ratio), ") for ", n, " samples"));
    }
  }

  v.healthy = v.reasons.empty();
  return v;
}

}  // namespace dmpd::monitor
