// Shared parsing (SimulationOptions::share_parsing): a flood's line is parsed once and the
// parse handed to every receiver with the bytes. It is allowed only because it changes
// nothing: every scenario of the repository, run with it on and off, must give the same
// fingerprint, counters and every row the results database stores.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"
#include "herd_test/sqlite_rows.hpp"
#include "herd_test/stored_run.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;
using herd::testing::table_names;
using herd::testing::table_rows_in_order;

namespace {

herd::testing::StoredRun run_into(const std::filesystem::path& db, const Scenario& scenario,
                                  const std::shared_ptr<const HerdLayout>& layout, bool share) {
  SimulationOptions options;
  options.share_parsing = share;
  return herd::testing::run_and_store(db, scenario, layout, options);
}

}  // namespace

TEST_CASE("shared parsing: every scenario stores the same rows with it on and off") {
  const std::filesystem::path root = HERD_REPO_ROOT;
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"scenarios/course", "scenarios/maelstrom", "scenarios/examples"}) {
    for (const auto& entry : std::filesystem::directory_iterator(root / dir)) {
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    }
  }
  REQUIRE(files.size() >= 14);
  // Every file as it is, then the Winter 2023 outage under each other strategy: their
  // messages (digests, IHAVE, GRAFT, repairs) share the links with the update lines.
  std::vector<std::pair<std::filesystem::path, std::vector<std::string>>> runs;
  for (const auto& file : files) runs.push_back({file, {}});
  const auto outage = root / "scenarios/course/winter2023-outage.toml";
  runs.push_back({outage, {"herd.strategy=flood", "strategy.anti_entropy=true"}});
  runs.push_back({outage, {"herd.strategy=gossip", "strategy.fanout=2"}});
  runs.push_back({outage, {"herd.strategy=rumor", "strategy.k=2", "strategy.period=50ms",
                           "strategy.anti_entropy=true"}});
  runs.push_back({outage, {"herd.strategy=plumtree", "strategy.anti_entropy=true"}});
  herd::testing::TempDir dir{"herd-shared-parsing"};
  int index = 0;
  for (const auto& [file, overrides] : runs) {
    INFO(file.string() << " " << (overrides.empty() ? "" : overrides[0]));
    Scenario scenario = load_scenario(file, overrides);
    scenario.trace = true;  // the messages table too
    const auto layout = std::make_shared<const HerdLayout>(layout_of(build_friend_graph(scenario)));
    const auto on_db = dir.path() / ("on" + std::to_string(index) + ".db");
    const auto off_db = dir.path() / ("off" + std::to_string(index) + ".db");
    ++index;
    const auto on = run_into(on_db, scenario, layout, true);
    const auto off = run_into(off_db, scenario, layout, false);
    CHECK(on.fingerprint == off.fingerprint);
    CHECK(on.counters.events == off.counters.events);
    CHECK(on.counters.peer_deliveries == off.counters.peer_deliveries);
    CHECK(on.counters.peer_deliveries > 0);
    CHECK(on.counters.peer_dropped == off.counters.peer_dropped);
    const auto names = table_names(on_db);
    REQUIRE(names.size() >= 10);
    for (const auto& table : names) {
      INFO(table);
      CHECK(table_rows_in_order(on_db, table) == table_rows_in_order(off_db, table));
    }
  }
}
