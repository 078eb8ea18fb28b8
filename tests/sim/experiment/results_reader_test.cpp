// The results reader (sim/experiment/src/results_reader.cpp) against a database written by a
// real simulated run: every table comes back as the simulation recorded it, row for row.
#include "herd/sim/results_reader.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;

namespace {

constexpr const char* kScenario = R"toml(
[scenario]
name = "reader-test"
seed = 7
duration = "6s"
sample_every = "500ms"

[herd]
servers = ["A", "B", "C", "D", "E"]
friends = [["A", "B"], ["B", "C"], ["C", "D"], ["D", "E"], ["A", "C"]]
strategy = "flood"

[network]
latency = { dist = "uniform", min = "5ms", max = "25ms" }

[workload]
clients = 6
iamat = { rate = "4/s" }
end = "4s"

[[faults]]
at = "1s"
crash = "D"
for = "2s"
)toml";

struct StoredFixture {
  herd::testing::TempDir dir{"herd-reader"};
  std::filesystem::path db = dir.path() / "results.db";
  Scenario scenario = parse_scenario(kScenario, "reader-test.toml");
  HerdLayout layout = layout_of(build_friend_graph(scenario));
  std::unique_ptr<Simulation> sim;
  std::int64_t run_id = 0;

  StoredFixture() {
    SimulationOptions options;
    options.keep_deliveries = true;
    sim = std::make_unique<Simulation>(scenario, layout, options);
    sim->run();
    ResultsDb writer(db);
    RunRecord record;
    record.herd_version = "test";
    record.recorded_at = "2026-01-01T00:00:00Z";
    record.fingerprint = sim->fingerprint();
    record.overrides = {"workload.clients=6", "scenario.seed=7"};
    record.events = sim->counters().events;
    record.drained_ns = sim->counters().drained_ns;
    record.sweep_id = "reader@0123";
    record.variant = "flood";
    run_id = writer.store_run(scenario, layout, sim->faults(), sim->metrics(), record);
  }
};

}  // namespace

TEST_CASE("the reader returns a stored run's labels and summary", "[results][reader]") {
  StoredFixture f;
  ResultsReader reader(f.db);
  auto runs = reader.runs();
  REQUIRE(runs.size() == 1);
  const StoredRun& r = runs[0];
  CHECK(r.run_id == f.run_id);
  CHECK(r.scenario == "reader-test");
  CHECK(r.strategy == "flood");
  CHECK(r.backend == "sim");
  CHECK(r.seed == 7);
  CHECK(r.sweep_id == "reader@0123");
  CHECK(r.variant == "flood");
  CHECK(r.overrides == std::vector<std::string>{"workload.clients=6", "scenario.seed=7"});
  CHECK(r.servers == 5);
  CHECK(r.friend_edges == 5);
  CHECK(r.duration_ns == 6'000'000'000);
  CHECK(r.events == f.sim->counters().events);
  CHECK(r.fingerprint.size() == 16);

  const Summary s = f.sim->metrics().summarize();
  REQUIRE(r.metric("updates"));
  CHECK(*r.metric("updates") == static_cast<double>(s.updates));
  CHECK(*r.metric("propagation_p99_ms") == Approx(static_cast<double>(s.propagation.p99_ns) / 1e6));
  CHECK_FALSE(r.metric("no_such_metric"));
  CHECK(std::is_sorted(r.summary.begin(), r.summary.end()));

  auto one = reader.run(f.run_id);
  REQUIRE(one);
  CHECK(one->summary == r.summary);
  CHECK(one->overrides == r.overrides);
  CHECK_FALSE(reader.run(f.run_id + 1));
}

TEST_CASE("the reader returns the herd, its faults and every update and delivery",
          "[results][reader]") {
  StoredFixture f;
  ResultsReader reader(f.db);

  auto servers = reader.servers(f.run_id);
  REQUIRE(servers.size() == f.layout.size());
  for (std::uint32_t i = 0; i < servers.size(); ++i) {
    CHECK(servers[i].server_id == i);
    CHECK(servers[i].name == f.layout.names[i]);
    CHECK(servers[i].degree == f.layout.neighbours[i].size());
  }
  auto edges = reader.friends(f.run_id);
  CHECK(edges.size() == f.layout.edge_count());
  for (const auto& e : edges) {
    CHECK(e.a < e.b);
    const auto& n = f.layout.neighbours[e.a];
    CHECK(std::find(n.begin(), n.end(), e.b) != n.end());
  }

  auto faults = reader.faults(f.run_id);
  REQUIRE(faults.size() == 1);
  CHECK(faults[0].kind == "crash");
  CHECK(faults[0].at_ns == 1'000'000'000);
  CHECK(faults[0].duration_ns == 2'000'000'000);
  CHECK(faults[0].servers == "D");

  const auto& stats = f.sim->metrics().updates();
  auto updates = reader.updates(f.run_id);
  REQUIRE(updates.size() == stats.size());
  REQUIRE(updates.size() > 5);
  for (std::uint32_t i = 0; i < updates.size(); ++i) {
    CHECK(updates[i].update_id == i);
    CHECK(updates[i].origin == stats[i].origin);
    CHECK(updates[i].accepted_ns == stats[i].accepted_ns);
    CHECK(updates[i].holders == stats[i].holders);
    CHECK(updates[i].at_line == *stats[i].update.at_line);
  }

  // Every delivery the recorder saw, once, with its delay and the friend it came from.
  const auto& deliveries = f.sim->metrics().deliveries();
  auto applies = reader.applies(f.run_id);
  REQUIRE(applies.size() == deliveries.size());
  CHECK(reader.apply_count(f.run_id) == deliveries.size());
  std::map<std::pair<std::uint32_t, std::uint32_t>, const Delivery*> by_pair;
  for (const Delivery& d : deliveries) by_pair[{d.update, d.server}] = &d;
  for (const StoredApply& a : applies) {
    auto it = by_pair.find({a.update_id, a.server_id});
    REQUIRE(it != by_pair.end());
    const Delivery& d = *it->second;
    CHECK(a.at_ns == d.at_ns);
    CHECK(a.delay_ns == d.at_ns - stats[d.update].accepted_ns);
    CHECK(a.hops == d.hops);
    CHECK(a.direct == d.direct);
    CHECK(a.from_id == (d.from == kNoServer ? kNoFrom : static_cast<std::int64_t>(d.from)));
  }
  CHECK(std::is_sorted(applies.begin(), applies.end(), [](const auto& x, const auto& y) {
    return std::tie(x.update_id, x.at_ns, x.server_id) < std::tie(y.update_id, y.at_ns, y.server_id);
  }));
  auto of_first = reader.applies_of_update(f.run_id, 0);
  CHECK(of_first.size() == static_cast<std::size_t>(std::count_if(
                               applies.begin(), applies.end(), [](const auto& a) { return a.update_id == 0; })));
}

TEST_CASE("the reader returns staleness samples and traffic", "[results][reader]") {
  StoredFixture f;
  ResultsReader reader(f.db);
  const auto& samples = f.sim->metrics().staleness();
  auto stale = reader.staleness(f.run_id);
  REQUIRE(stale.size() == samples.size());
  REQUIRE_FALSE(stale.empty());
  std::int64_t worst = 0;
  for (const auto& s : stale) worst = std::max(worst, s.max_ns);
  CHECK(worst == f.sim->metrics().summarize().max_staleness_ns);
  auto of_b = reader.staleness_of_server(f.run_id, 1);
  CHECK(of_b.size() == static_cast<std::size_t>(std::count_if(
                           stale.begin(), stale.end(), [](const auto& s) { return s.server_id == 1; })));
  CHECK(std::is_sorted(of_b.begin(), of_b.end(),
                       [](const auto& x, const auto& y) { return x.at_ns < y.at_ns; }));

  auto kinds = reader.traffic_kinds(f.run_id);
  REQUIRE_FALSE(kinds.empty());
  std::uint64_t lines = 0;
  for (const auto& k : kinds) {
    if (k.kind != "greeting") lines += k.lines;
  }
  CHECK(lines == f.sim->metrics().summarize().peer_lines);
  auto links = reader.traffic_links(f.run_id);
  CHECK(links.size() == 2 * f.layout.edge_count());
  auto counters = reader.traffic_counters(f.run_id);
  CHECK(counters.size() == 3);
}

TEST_CASE("the reader refuses what is not a results database of its version",
          "[results][reader]") {
  herd::testing::TempDir dir{"herd-reader"};
  CHECK_THROWS_WITH(ResultsReader(dir.path() / "missing.db"),
                    Catch::Contains("no such results database"));
  auto junk = dir.write("junk.db", "this is not sqlite at all, just some text");
  CHECK_THROWS_AS(ResultsReader(junk), ResultsError);

  auto old = dir.path() / "old.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(old.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                       "INSERT INTO meta VALUES ('schema_version', '1')",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK_THROWS_WITH(ResultsReader(old), Catch::Contains("schema version 1"));
}

TEST_CASE("the reader stops at its row limit", "[results][reader]") {
  StoredFixture f;
  ResultsReader reader(f.db, ReaderLimits{10});
  CHECK_THROWS_WITH(reader.applies(f.run_id), Catch::Contains("applies has more than 10 rows"));
  CHECK(reader.servers(f.run_id).size() == 5);
}
