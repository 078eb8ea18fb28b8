#pragma once
// A results database written by real simulated runs, shared by the gui tests: a 12-server
// herd with a crash, under flooding (two seeds) and gossip, stored the way herd-sim run
// stores them.

#include <filesystem>
#include <string>
#include <vector>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/results_db.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"
#include "herd_test/temp_dir.hpp"

namespace herd::testing {

inline constexpr const char* kDashScenario = R"toml(
[scenario]
name = "dash-test"
seed = 1
duration = "5s"
sample_every = "250ms"

[herd]
generate = { kind = "watts_strogatz", n = 12, k = 4, p = 0.2, connected = true }
strategy = "flood"

[network]
latency = { dist = "lognormal", median = "10ms", sigma = 0.5 }

[workload]
clients = 8
iamat = { rate = "10/s" }
end = "4s"

[[faults]]
at = "1s"
crash = "s03"
for = "1s"
)toml";

// Runs the scenario with the overrides and stores it; returns the run_id.
inline std::int64_t store_dash_run(const std::filesystem::path& db,
                                   const std::vector<std::string>& overrides) {
  using namespace herd::sim;
  Scenario scenario = parse_scenario(kDashScenario, "dash-test.toml", overrides);
  HerdLayout layout = layout_of(build_friend_graph(scenario));
  Simulation sim(scenario, layout);
  sim.run();
  ResultsDb writer(db);
  RunRecord record;
  record.herd_version = "test";
  record.recorded_at = "2026-01-01T00:00:00Z";
  record.overrides = overrides;
  record.fingerprint = sim.fingerprint();
  record.events = sim.counters().events;
  record.drained_ns = sim.counters().drained_ns;
  record.peer_deliveries = sim.counters().peer_deliveries;
  record.trace = sim.trace();  // set when the overrides ask for a message trace
  return writer.store_run(scenario, layout, sim.faults(), sim.metrics(), record);
}

struct DashDb {
  TempDir dir{"herd-dash"};
  std::filesystem::path path = dir.path() / "results.db";
  std::vector<std::int64_t> runs;
  DashDb() {
    runs.push_back(store_dash_run(path, {"scenario.seed=1"}));
    runs.push_back(store_dash_run(path, {"scenario.seed=2"}));
    runs.push_back(store_dash_run(path, {"herd.strategy=gossip", "strategy.fanout=3"}));
  }
};

}  // namespace herd::testing
