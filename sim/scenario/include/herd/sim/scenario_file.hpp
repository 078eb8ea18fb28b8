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

#include "herd/config/units.hpp"
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

// --- units, shared with the command line and herd configs (herd/config/units.hpp) ------
using config::format_duration;
using config::parse_duration;
using config::parse_rate_per_s;
using config::parse_signed_duration;
using config::parse_speed_mps;

}  // namespace herd::sim
