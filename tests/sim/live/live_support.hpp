#pragma once
// Shared by the live backend's tests: scenarios written to scratch folders, and a live run
// with the herd-server of this build.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/live_runner.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd_test/temp_dir.hpp"

namespace herd::testing {

inline const std::string kSourceDir = HERD_SOURCE_DIR;
inline const std::string kWinter2023 = kSourceDir + "/scenarios/herds/winter2023.toml";

// True when no live run's private folder (herd-live-*) is left in `dir`.
inline bool no_live_folders(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("herd-live-")) return false;
  }
  return true;
}

inline std::string read_file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline herd::sim::LiveRunOptions live_options(const TempDir& dir) {
  herd::sim::LiveRunOptions options;
  options.server_bin = HERD_SERVER_BIN;
  options.tmp_parent = dir.path();
  return options;
}

struct LiveResult {
  herd::sim::Scenario scenario;
  herd::sim::HerdLayout layout;
  herd::sim::LiveOutcome outcome;
  herd::sim::Summary summary;
};

inline LiveResult run_live_text(const TempDir& dir, const std::string& toml,
                                herd::sim::LiveRunOptions options) {
  LiveResult r;
  const auto file = dir.write("scenario.toml", toml);
  r.scenario = herd::sim::load_scenario(file);
  r.layout = herd::sim::layout_of(herd::sim::build_friend_graph(r.scenario));
  r.outcome = herd::sim::run_live(r.scenario, r.layout, options);
  r.summary = r.outcome.metrics->summarize();
  return r;
}

}  // namespace herd::testing
