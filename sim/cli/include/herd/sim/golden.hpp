#pragma once
// Golden results for `herd-sim check`: what a scenario's runs gave when someone last
// accepted them (`--update-golden`), one file beside the scenario, compared with every
// later check so that any drift in behaviour — a summary metric or the fingerprint — fails
// the check with a readable diff.
//
// The file is NAME.golden.toml beside NAME.toml: plain TOML with a fixed layout (runs in
// seed order, metrics in name order, values with 17 significant digits, which read back
// as the same double), so that it diffs well under version control. Comparison is exact:
// runs are deterministic, so any difference is a change in behaviour (or in the build's
// floating-point arithmetic), never noise.

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace herd::sim {

struct GoldenRun {
  std::uint64_t seed = 0;
  std::string fingerprint;                              // 16 hex digits
  std::vector<std::pair<std::string, double>> metrics;  // summary_metrics of the run
};

struct Golden {
  std::string scenario;                // the scenario's name, for people
  std::vector<std::string> overrides;  // the --set overrides the runs used
  std::vector<GoldenRun> runs;         // one per seed
};

// NAME.golden.toml beside NAME.toml (any other name: the name plus ".golden.toml").
[[nodiscard]] std::filesystem::path golden_path_for(const std::filesystem::path& scenario);

// The file's text: header comment, scenario_name (not `scenario`: folder scans take a file
// with a top-level `scenario` key for a scenario), overrides, then [[run]] tables in seed
// order, each with its metrics sorted by name. The same Golden always gives the same text.
void write_golden(std::ostream& out, const Golden& golden);

// Reads a golden file; throws std::runtime_error "file:line:column: what" when it cannot.
[[nodiscard]] Golden read_golden(const std::filesystem::path& file);

// A value as the golden file writes it: the shortest of %.15g/%.17g that reads back as the
// same double ("inf", "-inf", "nan" as TOML writes them).
[[nodiscard]] std::string golden_number(double value);

// Every difference between the golden runs and `now`, one readable line each: the
// overrides, seeds run but not in the file (or the reverse), a changed fingerprint, and per
// metric "seed S  METRIC  golden G  now N  (+x.xx%)". Empty when they agree exactly.
[[nodiscard]] std::vector<std::string> golden_drift(const Golden& golden, const Golden& now);

}  // namespace herd::sim
