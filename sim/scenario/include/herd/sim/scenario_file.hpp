#pragma once
// Reading scenario files (docs/scenarios.md): TOML text plus `--set key=value` overrides in,
// a checked sim::Scenario out. Every mistake is reported as a ScenarioError that names the
// file, line and column of the offending key or value and says what was expected, so a typo
// in a sweep fails before the first simulated nanosecond instead of silently changing it.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "herd/sim/scenario.hpp"

namespace herd::sim {

// A scenario that cannot be used. `file` is the scenario file, an auxiliary file it names
// (herd config, empirical latency samples), or "--set key=value" for a bad override;
// line and column are 1-based (0 when no position is known). what() = "file:line:col: message".
struct ScenarioError : std::runtime_error {
  ScenarioError(std::string file, int line, int column, const std::string& message);

  std::string file;
  int line = 0;
  int column = 0;
  std::string message;  // what() without the position prefix
};

// Reads and interprets a scenario file. Relative paths inside it (herd.file, herd.config,
// empirical latency files, places_db) are resolved against the file's folder.
[[nodiscard]] Scenario load_scenario(const std::filesystem::path& file,
                                     const std::vector<std::string>& overrides = {});

// Interprets scenario text held in memory. source_name appears in error messages and
// becomes source_path; its folder (if any) anchors relative paths, as for load_scenario.
[[nodiscard]] Scenario parse_scenario(std::string_view toml_text, std::string_view source_name,
                                      const std::vector<std::string>& overrides = {});

// --- units, shared with the command line ---------------------------------------------------
// Each throws std::invalid_argument with a message saying what was expected.

// "1.5s", "250ms", "2m", "1h", "10us", "7ns": a non-negative decimal number and a unit
// (ns us ms s m h), converted exactly in integer arithmetic ("1.5s" = 1'500'000'000 ns).
// Rejects signs, blanks, exponents, values finer than 1 ns and values beyond int64 ns.
[[nodiscard]] Nanoseconds parse_duration(std::string_view text);

// As parse_duration, but a leading '-' or '+' is allowed (clock skew).
[[nodiscard]] Nanoseconds parse_signed_duration(std::string_view text);

// The shortest exact rendering of a duration in the syntax above ("1.5s", "250ms", "0s").
[[nodiscard]] std::string format_duration(Nanoseconds duration_ns);

// "200/s", "30/min", "3600/h" or a bare non-negative number ("12.5", per second).
[[nodiscard]] double parse_rate_per_s(std::string_view text);

// "1.5m/s", "5km/h" or a bare non-negative number (metres per second).
[[nodiscard]] double parse_speed_mps(std::string_view text);

}  // namespace herd::sim
