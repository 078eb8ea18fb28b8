#include "herd/sim/expectations.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace herd::sim {
namespace {

// Milliseconds with at least 3 decimals and as many more (up to 6) as the value needs, so a
// limit of "1ns" reads 0.000001ms rather than a misleading 0.000ms.
std::string ms(Nanoseconds ns) {
  const bool negative = ns < 0;
  const auto magnitude = negative ? -static_cast<unsigned long long>(ns)
                                  : static_cast<unsigned long long>(ns);
  char text[48];
  std::snprintf(text, sizeof text, "%s%llu.%06llu", negative ? "-" : "", magnitude / 1'000'000,
                magnitude % 1'000'000);
  std::string out(text);
  const std::size_t keep = out.find('.') + 4;  // the point and 3 decimals
  while (out.size() > keep && out.back() == '0') out.pop_back();
  return out + "ms";
}

std::string number(double v) {
  char text[48];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

}  // namespace

std::vector<ExpectationResult> check_expectations(const Expectations& expect,
                                                  const Summary& s) {
  std::vector<ExpectationResult> results;
  if (expect.converge_within_ns) {
    bool ok = s.convergence_ns && *s.convergence_ns <= *expect.converge_within_ns;
    results.push_back({"converge_within", "<= " + ms(*expect.converge_within_ns),
                       s.convergence_ns ? ms(*s.convergence_ns) : "never converged", ok});
  }
  if (expect.propagation_p99_ns) {
    results.push_back({"propagation_p99", "<= " + ms(*expect.propagation_p99_ns),
                       ms(s.propagation.p99_ns), s.propagation.p99_ns <= *expect.propagation_p99_ns});
  }
  if (expect.propagation_max_ns) {
    results.push_back({"propagation_max", "<= " + ms(*expect.propagation_max_ns),
                       ms(s.propagation.max_ns), s.propagation.max_ns <= *expect.propagation_max_ns});
  }
  if (expect.lost_updates) {
    results.push_back({"lost_updates", "<= " + std::to_string(*expect.lost_updates),
                       std::to_string(s.lost_updates),
                       static_cast<std::int64_t>(s.lost_updates) <= *expect.lost_updates});
  }
  if (expect.min_reach) {
    results.push_back({"min_reach", ">= " + number(*expect.min_reach), number(s.reach_min),
                       s.reach_min >= *expect.min_reach});
  }
  if (expect.max_stale_reads) {
    results.push_back({"max_stale_reads", "<= " + std::to_string(*expect.max_stale_reads),
                       std::to_string(s.stale_reads),
                       static_cast<std::int64_t>(s.stale_reads) <= *expect.max_stale_reads});
  }
  if (expect.max_ldh) {
    results.push_back({"max_ldh", "<= " + std::to_string(*expect.max_ldh), std::to_string(s.ldh_max),
                       static_cast<std::int64_t>(s.ldh_max) <= *expect.max_ldh});
  }
  return results;
}

double seed_metric_value(std::string_view metric, const Summary& s) {
  const auto d = [](auto v) { return static_cast<double>(v); };
  if (metric == "convergence") {
    return s.convergence_ns ? d(*s.convergence_ns) : std::numeric_limits<double>::infinity();
  }
  if (metric == "propagation_p50") return d(s.propagation.p50_ns);
  if (metric == "propagation_p95") return d(s.propagation.p95_ns);
  if (metric == "propagation_p99") return d(s.propagation.p99_ns);
  if (metric == "propagation_max") return d(s.propagation.max_ns);
  if (metric == "max_staleness") return d(s.max_staleness_ns);
  if (metric == "lost_updates") return d(s.lost_updates);
  if (metric == "stale_reads") return d(s.stale_reads);
  if (metric == "ldh_max") return d(s.ldh_max);
  if (metric == "reach_min") return s.reach_min;
  if (metric == "reach_mean") return s.reach_mean;
  if (metric == "availability") return s.availability;
  return std::numeric_limits<double>::quiet_NaN();
}

double nearest_rank_quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const auto index = rank < 1 ? 0 : std::min(values.size(), static_cast<std::size_t>(rank)) - 1;
  return values[index];
}

std::string quantile_label(double q) {
  char text[32];
  std::snprintf(text, sizeof text, "p%.6g", q * 100);
  return text;
}

std::vector<ExpectationResult> check_across_seeds(const Expectations& expect,
                                                  const std::vector<Summary>& runs) {
  std::vector<ExpectationResult> results;
  for (const auto& e : expect.across_seeds) {
    SeedMetricKind kind = SeedMetricKind::ratio;
    for (const auto& m : kSeedMetrics) {
      if (m.key == e.metric) kind = m.kind;
    }
    std::vector<double> values;
    for (const auto& run : runs) values.push_back(seed_metric_value(e.metric, run));
    const double q = nearest_rank_quantile(values, e.quantile);
    const auto show = [&](double v) -> std::string {
      if (std::isinf(v)) return e.metric == "convergence" ? "never converged" : "inf";
      if (kind == SeedMetricKind::duration) return ms(static_cast<Nanoseconds>(v));
      if (kind == SeedMetricKind::count) return std::to_string(static_cast<long long>(v));
      return number(v);
    };
    const std::string label = quantile_label(e.quantile);
    const bool ok = e.at_most ? q <= e.limit : q >= e.limit;
    results.push_back({"across_seeds." + e.metric,
                       label + (e.at_most ? " <= " : " >= ") + show(e.limit),
                       show(q) + " (" + label + " of " + std::to_string(runs.size()) +
                           (runs.size() == 1 ? " seed)" : " seeds)"),
                       ok && !std::isnan(q)});
  }
  return results;
}

}  // namespace herd::sim
