#pragma once
// A scenario's [expect] section checked against a run's summary: what CI regresses on.

#include <string>
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

}  // namespace herd::sim
