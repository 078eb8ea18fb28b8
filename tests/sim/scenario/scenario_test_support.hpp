#pragma once
// Helpers shared by the scenario tests: where the repository is, a scratch folder, and the
// message a scenario is rejected with.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "herd/sim/scenario_file.hpp"

namespace scenario_test {

inline std::filesystem::path repo_root() { return std::filesystem::path(HERD_REPO_ROOT); }

inline std::filesystem::path examples() { return repo_root() / "scenarios" / "examples"; }

// A fresh folder under the system temp directory, removed when the test ends.
class ScratchDir {
 public:
  ScratchDir() {
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0;; ++attempt) {
      path_ = base /
              ("herd-scenario-test-" + std::to_string(::getpid()) + "-" + std::to_string(attempt));
      if (std::filesystem::create_directory(path_)) break;
    }
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  std::filesystem::path write(const std::string& name, std::string_view text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

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
