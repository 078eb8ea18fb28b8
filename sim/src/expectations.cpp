#include "herd/sim/expectations.hpp"

#include <cstdio>

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

}  // namespace herd::sim
