// Shared parsing (SimulationOptions::share_parsing): a flood's line is parsed once and the
// parse handed to every receiver with the bytes. It is allowed only because it changes
// nothing: every scenario of the repository, run with it on and off, must give the same
// fingerprint, counters and every row the results database stores.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/results_db.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;

namespace {

struct Stored {
  std::uint64_t fingerprint = 0;
  SimulationCounters counters;
};

Stored run_into(const std::filesystem::path& db, const Scenario& scenario,
                const HerdLayout& layout, bool share) {
  SimulationOptions options;
  options.share_parsing = share;
  options.check_invariants = true;
  Simulation sim(scenario, layout, options);
  sim.run();
  ResultsDb writer(db);
  RunRecord record;
  record.herd_version = "test";
  record.recorded_at = "2026-01-01T00:00:00Z";
  record.fingerprint = sim.fingerprint();
  record.events = sim.counters().events;
  record.peer_deliveries = sim.counters().peer_deliveries;
  record.peer_dropped = sim.counters().peer_dropped;
  record.client_commands = sim.counters().client_commands;
  record.drained_ns = sim.counters().drained_ns;
  record.trace = sim.trace();
  writer.store_run(scenario, layout, sim.faults(), sim.metrics(), record);
  return {sim.fingerprint(), sim.counters()};
}

std::vector<std::string> rows(const std::filesystem::path& db, const std::string& table) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  const std::string sql = "SELECT * FROM " + table + " ORDER BY rowid";
  REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &q, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(q) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(q); ++i) {
      const auto* text = sqlite3_column_text(q, i);
      row += (text ? reinterpret_cast<const char*>(text) : "NULL") + std::string("|");
    }
    out.push_back(row);
  }
  sqlite3_finalize(q);
  sqlite3_close(handle);
  return out;
}

std::vector<std::string> tables(const std::filesystem::path& db) {
  std::vector<std::string> names;
  for (const auto& row : rows(db, "sqlite_schema WHERE type = 'table'")) {
    // "type|name|tbl_name|rootpage|sql|"
    const auto first = row.find('|') + 1;
    names.push_back(row.substr(first, row.find('|', first) - first));
  }
  return names;
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
    const HerdLayout layout = layout_of(build_friend_graph(scenario));
    const auto on_db = dir.path() / ("on" + std::to_string(index) + ".db");
    const auto off_db = dir.path() / ("off" + std::to_string(index) + ".db");
    ++index;
    const Stored on = run_into(on_db, scenario, layout, true);
    const Stored off = run_into(off_db, scenario, layout, false);
    CHECK(on.fingerprint == off.fingerprint);
    CHECK(on.counters.events == off.counters.events);
    CHECK(on.counters.peer_deliveries == off.counters.peer_deliveries);
    CHECK(on.counters.peer_deliveries > 0);
    CHECK(on.counters.peer_dropped == off.counters.peer_dropped);
    const auto names = tables(on_db);
    REQUIRE(names.size() >= 10);
    for (const auto& table : names) {
      INFO(table);
      CHECK(rows(on_db, table) == rows(off_db, table));
    }
  }
}
