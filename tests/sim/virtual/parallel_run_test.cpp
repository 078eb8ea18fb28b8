// One run on many threads (SimulationOptions::threads) must be the serial run, bit for bit:
// the same fingerprint and counters, and every row the results database stores. Windows
// of a single event are allowed here, so that small herds go through the threads too.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
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
                                  const std::shared_ptr<const HerdLayout>& layout,
                                  unsigned threads) {
  SimulationOptions options;
  options.threads = threads;
  options.parallel_min_events = 1;
  return herd::testing::run_and_store(db, scenario, layout, options);
}

using Run = std::pair<std::filesystem::path, std::vector<std::string>>;

std::vector<Run> runs_to_compare() {
  const std::filesystem::path root = HERD_REPO_ROOT;
  std::vector<Run> runs;
  for (const char* dir : {"scenarios/course", "scenarios/maelstrom"}) {
    for (const auto& entry : std::filesystem::directory_iterator(root / dir)) {
      if (entry.path().extension() == ".toml") runs.push_back({entry.path(), {}});
    }
  }
  // Every kind of fault (crash, partition, pause, one-way cut, clog, latency change, clock
  // skew and drift, random faults), on links that keep order: reordering links run serially.
  runs.push_back({root / "scenarios/examples/everything.toml", {"network.ordering=fifo"}});
  // Timers set and fired inside windows, and digests, IHAVE, GRAFT and repairs on the links.
  const auto outage = root / "scenarios/course/winter2023-outage.toml";
  runs.push_back({outage, {"herd.strategy=flood", "strategy.anti_entropy=true"}});
  runs.push_back({outage, {"herd.strategy=gossip", "strategy.fanout=2"}});
  runs.push_back({outage, {"herd.strategy=rumor", "strategy.k=2", "strategy.period=50ms",
                           "strategy.anti_entropy=true"}});
  runs.push_back({outage, {"herd.strategy=plumtree", "strategy.anti_entropy=true"}});
  // Lossy links: a window's lookahead replays the loss draws to find the next line through.
  runs.push_back({outage, {"network.loss=0.3", "strategy.anti_entropy=true"}});
  runs.push_back({root / "scenarios/sweeps/ws200-swarm.toml", {}});
  return runs;
}

}  // namespace

TEST_CASE("parallel run: every scenario stores the same rows on one, two and three threads") {
  const std::vector<Run> runs = runs_to_compare();
  REQUIRE(runs.size() >= 20);
  herd::testing::TempDir dir{"herd-parallel-run"};
  int index = 0;
  for (const auto& [file, overrides] : runs) {
    INFO(file.string() << " " << (overrides.empty() ? "" : overrides[0]));
    const Scenario scenario = load_scenario(file, overrides);
    const auto layout = std::make_shared<const HerdLayout>(layout_of(build_friend_graph(scenario)));
    const auto db = [&](unsigned threads) {
      return dir.path() / (std::to_string(index) + "-" + std::to_string(threads) + ".db");
    };
    const auto serial = run_into(db(1), scenario, layout, 1);
    CHECK(serial.parallel.windows == 0);
    CHECK(serial.counters.peer_deliveries > 0);
    for (unsigned threads : {2U, 3U}) {
      INFO(threads << " threads");
      const auto threaded = run_into(db(threads), scenario, layout, threads);
      CHECK(threaded.parallel.serial_because.empty());
      CHECK(threaded.parallel.threads == threads);
      CHECK(threaded.parallel.windows > 0);
      CHECK(threaded.parallel.window_events > 0);
      CHECK(threaded.fingerprint == serial.fingerprint);
      CHECK(threaded.counters.events == serial.counters.events);
      CHECK(threaded.counters.peer_deliveries == serial.counters.peer_deliveries);
      CHECK(threaded.counters.peer_dropped == serial.counters.peer_dropped);
      CHECK(threaded.counters.client_commands == serial.counters.client_commands);
      CHECK(threaded.counters.drained_ns == serial.counters.drained_ns);
      const auto names = table_names(db(1));
      REQUIRE(names.size() >= 10);
      for (const auto& table : names) {
        INFO(table);
        CHECK(table_rows_in_order(db(threads), table) == table_rows_in_order(db(1), table));
      }
    }
    ++index;
  }
}

TEST_CASE("parallel run: a run that cannot be split runs serially and says why") {
  const std::filesystem::path root = HERD_REPO_ROOT;
  const auto check = [&](Scenario scenario, const std::string& reason) {
    INFO(reason);
    const auto layout = std::make_shared<const HerdLayout>(layout_of(build_friend_graph(scenario)));
    SimulationOptions options;
    Simulation serial(scenario, layout, options);
    serial.run();
    options.threads = 2;
    Simulation threaded(scenario, layout, options);
    threaded.run();
    CHECK(threaded.parallel().serial_because.find(reason) != std::string::npos);
    CHECK(threaded.parallel().windows == 0);
    CHECK(threaded.fingerprint() == serial.fingerprint());
  };
  check(load_scenario(root / "scenarios/examples/everything.toml"), "reorder");
  Scenario traced = load_scenario(root / "scenarios/course/winter2023-steady.toml");
  traced.trace = true;
  check(traced, "message trace");
}

TEST_CASE("parallel run: a herd big enough to be built and freed on threads runs as serially") {
  // Past two setup runs of servers (Simulation::kServersPerSetupThread) the servers are
  // built and freed on the run's threads as well.
  const std::filesystem::path root = HERD_REPO_ROOT;
  const std::size_t n = Simulation::kServersPerSetupThread * 2 + 100;
  const Scenario scenario = load_scenario(root / "scenarios/scale/flood-scale.toml",
                                          {"herd.generate.n=" + std::to_string(n)});
  const auto layout = std::make_shared<const HerdLayout>(layout_of(build_friend_graph(scenario)));
  REQUIRE(layout->size() == n);
  const auto run = [&](unsigned threads) {
    SimulationOptions options;
    options.threads = threads;
    options.keep_deliveries = false;
    auto sim = std::make_unique<Simulation>(scenario, layout, options);
    sim->run();
    return std::make_tuple(sim->fingerprint(), sim->counters().peer_deliveries,
                           sim->metrics().summarize().reach_min, sim->parallel().windows);
  };
  const auto serial = run(1);
  const auto threaded = run(2);
  CHECK(std::get<0>(threaded) == std::get<0>(serial));
  CHECK(std::get<1>(threaded) == std::get<1>(serial));
  CHECK(std::get<1>(serial) > 3 * n);  // every update reached every server
  CHECK(std::get<2>(threaded) == std::get<2>(serial));
  CHECK(std::get<3>(threaded) > 0);
}
