#pragma once
// `herd-sim check` as a CI tool: which files the arguments name (files, folders searched
// recursively, globs), one result per scenario, and the reports made of them — the table on
// stdout, JUnit XML and JSON. Running the scenarios is the command line's job (cli.cpp);
// everything here is plain data in, text out, so it can be tested without a simulation.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herd/sim/expectations.hpp"

namespace herd::sim {

// Exit codes of `herd-sim check` (and of the other commands where they apply). When
// several apply, the highest wins.
inline constexpr int kExitPassed = 0;         // every scenario passed (or had no [expect])
inline constexpr int kExitFailed = 1;         // an expectation failed (or --require-expect)
inline constexpr int kExitError = 2;          // usage error, or a file that cannot be used
inline constexpr int kExitNondeterminism = 3; // --verify-determinism: two runs differed

// --- which files --------------------------------------------------------------------------

// What a TOML file is, judged by its top-level keys: a scenario has a `scenario` key
// (the [scenario] table); a sweep file has `sweep`; a herd configuration has `servers`.
enum class TomlKind { scenario, sweep, herd_config, other, unreadable };
[[nodiscard]] TomlKind classify_toml_file(const std::filesystem::path& file);

// One argument's worth of scenarios, or why there are none.
struct CheckTarget {
  std::filesystem::path file;  // a scenario to run (empty when `error` is set)
  std::string error;           // "ARG: why", for an argument that names nothing usable
  std::string argument;        // the argument as given, for error rows
};

// Expands the arguments in order: a file is taken as it is (it must be a scenario); a
// folder contributes every *.toml below it, at any depth, that is a scenario (and any that
// does not parse, so a broken file is reported rather than skipped); an argument with * ? [
// that names no existing path is a glob, and its matches are taken like a folder's files.
// Files named twice are run once. Arguments that yield nothing become error targets.
[[nodiscard]] std::vector<CheckTarget> find_check_targets(const std::vector<std::string>& args);

// --- results ------------------------------------------------------------------------------

enum class CheckStatus { passed, failed, no_expectations, error };
[[nodiscard]] std::string_view to_string(CheckStatus status);

// One seed's run within a check (a check runs one seed unless --seeds or [expect] seeds).
struct SeedRun {
  std::uint64_t seed = 0;
  std::string fingerprint;
  std::vector<std::pair<std::string, double>> metrics;  // summary_metrics of the run
  std::vector<std::string> failed;  // per-run expectations that failed in this seed
  bool nondeterministic = false;    // --verify-determinism found two different runs
};

struct CheckResult {
  std::string file;   // as found (relative paths stay relative)
  std::string name;   // scenario.name, or the file's stem when it could not be read
  CheckStatus status = CheckStatus::error;
  std::string error;  // for status error: "file:line:col: message" where known
  std::uint64_t seed = 0;  // the first seed run
  std::string strategy;
  // Per-run expectations (each must hold in every seed), then [expect.across_seeds], then
  // "golden" when a golden file was compared.
  std::vector<ExpectationResult> expectations;
  std::vector<std::pair<std::string, double>> metrics;  // summary_metrics of the first seed
  std::optional<std::string> fingerprint;               // of the first seed
  std::vector<SeedRun> seeds;  // every seed run, in order; empty if none ran
  std::string golden_file;     // the golden file compared or written; empty: none
  bool golden_updated = false; // --update-golden wrote golden_file
  std::vector<std::string> golden_drift;  // golden_drift() lines; empty: none or identical
  bool nondeterministic = false;  // --verify-determinism found two different runs
  double wall_seconds = 0;
  std::string reproduce;  // the command that repeats this check
};

struct CheckSettings {
  bool require_expect = false;  // a scenario without [expect] fails
};

// The exit code for a set of results (see kExit*).
[[nodiscard]] int check_exit_code(const std::vector<CheckResult>& results,
                                  const CheckSettings& settings);

// The seeds that failed a per-run expectation (or differed under --verify-determinism).
[[nodiscard]] std::vector<std::uint64_t> failed_seeds(const CheckResult& result);

// "min / median / max" of a summary metric over a result's seeds (median: the lower of the
// middle two), each as format_metric writes it; a missing convergence_ms reads "never" and
// counts as the largest. Empty when no seed has a value.
[[nodiscard]] std::string seed_spread(const CheckResult& result, std::string_view metric);

// The table on stdout: one row per scenario (and, for a check over several seeds, a line
// with the spread of the key metrics), then the details of failures and errors, then a
// count line.
void write_check_table(std::ostream& out, const std::vector<CheckResult>& results,
                       const CheckSettings& settings);

// JUnit XML: one testsuite "herd-sim check", a testcase per scenario (classname = the file,
// name = the scenario's name), a <failure> per failed expectation with expected and actual,
// an <error> for a file that could not be used, <skipped> for a scenario without [expect]
// (a <failure> under --require-expect), a <failure type="golden"> listing golden drift, and
// for several seeds <properties> "seeds" and "failed_seeds".
void write_junit(std::ostream& out, const std::vector<CheckResult>& results,
                 const CheckSettings& settings);

// The same as JSON: {"exit_code", "counts", "scenarios": [...]}; each scenario that ran
// has "seeds" (per seed: seed, fingerprint, failed, nondeterministic, metrics),
// "failed_seeds" and, when a golden file was compared or written, "golden".
void write_check_json(std::ostream& out, const std::vector<CheckResult>& results,
                      const CheckSettings& settings);

// --- text helpers, shared with the other commands -----------------------------------------

[[nodiscard]] std::string xml_escape(std::string_view text);
[[nodiscard]] std::string json_escape(std::string_view text);  // without the quotes
// A word as a POSIX shell reads it: unchanged when it is safe, else in single quotes.
[[nodiscard]] std::string shell_quote(std::string_view word);

// A summary metric for people: integer-valued counts as integers ("2339"), milliseconds
// with 3 decimals, ratios with 4.
[[nodiscard]] std::string format_metric(std::string_view name, double value);
// How much faster than real time a run went: "1234x", "12.3x", "0.25x", "0.0012x" (three
// significant digits below 100); "-" when the wall time is too small to measure.
[[nodiscard]] std::string format_speedup(double simulated_seconds, double wall_seconds);

}  // namespace herd::sim
