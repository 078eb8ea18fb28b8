#pragma once
// A scenario's [expect] section checked against a run's summary: what CI regresses on.

#include <string>
#include <string_view>
#include <vector>

#include "herd/sim/metrics.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

struct ExpectationResult {
  std::string name;      // the [expect] key
  std::string expected;  // e.g. "<= 500ms"
  std::string actual;    // e.g. "612.3ms"
  bool passed = false;
};

// One result per expectation the scenario sets, in a fixed order.
[[nodiscard]] std::vector<ExpectationResult> check_expectations(const Expectations& expect,
                                                                const Summary& summary);

// A kSeedMetrics metric of one run: nanoseconds for durations (+infinity for the
// convergence of a run that never converged), counts and ratios as they are.
[[nodiscard]] double seed_metric_value(std::string_view metric, const Summary& summary);

// The q-quantile of `values` by nearest rank: the smallest value with at least q of them at
// or below it (the ceil(q * n)-th smallest; the smallest for q = 0). NaN when empty.
[[nodiscard]] double nearest_rank_quantile(std::vector<double> values, double q);

// "p99", "p99.9", "p0" for a quantile in [0, 1].
[[nodiscard]] std::string quantile_label(double q);

// One result per [expect.across_seeds] entry, named "across_seeds.METRIC", over the runs'
// summaries (one per seed, in seed order).
[[nodiscard]] std::vector<ExpectationResult> check_across_seeds(
    const Expectations& expect, const std::vector<Summary>& runs);

}  // namespace herd::sim
