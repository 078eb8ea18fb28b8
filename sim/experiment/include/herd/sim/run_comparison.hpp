#pragma once
// Two stored runs side by side (docs/compare.md): their propagation-delay quantiles,
// staleness, convergence, reach and traffic per update, one row per metric, each judged
// against a tolerance. `herd-sim compare` prints this; the dashboard's Compare view shows it.
// Both read it from here, so they never disagree on a row or a verdict.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "herd/sim/results_db.hpp"
#include "herd/sim/results_reader.hpp"

namespace herd::sim {

// |a - b| <= pct/100 * max(|a|, |b|) (+ ms for time metrics). Both zero or more.
struct Tolerance {
  double pct = 15;
  double ms = 2;
};

enum class CompareUnit { ms, ratio };

enum class CompareVerdict {
  within,     // "ok": within tolerance (for convergence also: neither run converged)
  differs,    // "DIFFERS": outside it, or only one run converged
  one_sided,  // "one run only": measured in one run only; does not count against the whole
  absent,     // "n/a": measured in neither
};

// As the table prints it: ok, DIFFERS, one run only, n/a.
[[nodiscard]] const char* verdict_text(CompareVerdict v);
// As the JSON spells it: within, differs, one_sided, absent.
[[nodiscard]] const char* verdict_name(CompareVerdict v);
// ms or ratio.
[[nodiscard]] const char* unit_name(CompareUnit u);

struct ComparisonRow {
  std::string metric;  // e.g. propagation_p50_ms, lines_per_update[AT]
  CompareUnit unit = CompareUnit::ratio;
  std::optional<double> a, b;  // nullopt where the run did not measure it
  // For convergence_ms a missing value means "never" (a value, which differs from any time)
  // rather than "not measured".
  bool absent_means_never = false;
  double allowed = 0;  // the allowed |b - a|; meaningful when both values are present
  CompareVerdict verdict = CompareVerdict::absent;

  // b - a when both are present.
  [[nodiscard]] std::optional<double> diff() const;
};

struct RunComparison {
  RunProfile a, b;
  Tolerance tolerance;
  std::vector<ComparisonRow> rows;  // in the order of docs/compare.md's metrics table

  // No row differs.
  [[nodiscard]] bool within_tolerance() const;
  // The names of the rows that differ / were measured in one run only, in row order.
  [[nodiscard]] std::vector<std::string> differing() const;
  [[nodiscard]] std::vector<std::string> one_sided() const;
};

// The propagation-delay quantiles compared when both runs stored their deliveries, with
// their row names: p10, p25, p50, p75, p90, p95, p99 and max (q = 1).
struct DelayQuantile {
  const char* metric;
  double q;
};
[[nodiscard]] const std::vector<DelayQuantile>& compared_delay_quantiles();
// The `q`s of compared_delay_quantiles(), as run_profile takes them.
[[nodiscard]] std::vector<double> compared_quantiles();

// A database that has no run of the id asked for.
struct NoSuchRun : ResultsError {
  NoSuchRun(const std::filesystem::path& db, std::int64_t id);
  std::int64_t run_id;
};

// Runs `a` and `b` of the database (a may equal b), read-only. Throws std::invalid_argument
// for a negative or NaN tolerance, NoSuchRun for a run the database lacks, and ResultsError
// when the file is missing (it is never created) or not a results database of this schema.
[[nodiscard]] RunComparison compare_runs(const ResultsReader& reader, std::int64_t a,
                                         std::int64_t b, const Tolerance& tolerance = {});
[[nodiscard]] RunComparison compare_runs(const std::filesystem::path& db, std::int64_t a,
                                         std::int64_t b, const Tolerance& tolerance = {});

// The rows of two profiles read with compared_quantiles(): what compare_runs returns once
// it has read them, so a caller holding the profiles can judge again under another
// tolerance without reading the database. Throws std::invalid_argument as compare_runs does.
[[nodiscard]] RunComparison compare_profiles(RunProfile a, RunProfile b,
                                             const Tolerance& tolerance = {});

}  // namespace herd::sim
