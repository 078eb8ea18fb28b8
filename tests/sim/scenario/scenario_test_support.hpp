#pragma once
// Helpers shared by the scenario tests: where the repository is and the message a scenario
// is rejected with (scratch folders: herd_test/temp_dir.hpp).

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "herd/sim/scenario_file.hpp"
#include "herd_test/temp_dir.hpp"

namespace scenario_test {

inline std::filesystem::path repo_root() { return std::filesystem::path(HERD_REPO_ROOT); }

inline std::filesystem::path examples() { return repo_root() / "scenarios" / "examples"; }


// The what() of the ScenarioError that parsing `text` (named "t.toml") throws.
inline std::string error_of(std::string_view text, const std::vector<std::string>& overrides = {},
                            std::string_view source_name = "t.toml") {
  try {
    (void)herd::sim::parse_scenario(text, source_name, overrides);
  } catch (const herd::sim::ScenarioError& error) {
    return error.what();
  }
  FAIL("the scenario was accepted");
  return {};
}

// A valid header every error test builds on: [scenario] on lines 1-3, [herd] on 4-6.
inline constexpr std::string_view kHead =
    "[scenario]\n"
    "name = \"t\"\n"
    "duration = \"60s\"\n"
    "[herd]\n"
    "servers = [\"A\", \"B\", \"C\"]\n"
    "friends = [[\"A\", \"B\"], [\"B\", \"C\"]]\n";

inline std::string with_head(std::string_view rest) {
  return std::string(kHead) + std::string(rest);
}

}  // namespace scenario_test
