#pragma once
// Storing a finished simulation into a results database, as `herd-sim run` stores it, with
// a fixed version and date so two stores can be compared row by row.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <utility>

#include "herd/sim/results_db.hpp"
#include "herd/sim/simulation.hpp"

namespace herd::testing {

inline std::int64_t store_simulation(const std::filesystem::path& db,
                                     const herd::sim::Scenario& scenario,
                                     const herd::sim::HerdLayout& layout,
                                     const herd::sim::Simulation& sim) {
  herd::sim::ResultsDb writer(db);
  herd::sim::RunRecord record;
  record.herd_version = "test";
  record.recorded_at = "2026-01-01T00:00:00Z";
  record.fingerprint = sim.fingerprint();
  record.events = sim.counters().events;
  record.peer_deliveries = sim.counters().peer_deliveries;
  record.peer_dropped = sim.counters().peer_dropped;
  record.client_commands = sim.counters().client_commands;
  record.drained_ns = sim.counters().drained_ns;
  record.trace = sim.trace();
  return writer.store_run(scenario, layout, sim.faults(), sim.metrics(), record);
}

// A run's identity as the tests compare it, with how it used threads.
struct StoredRun {
  std::uint64_t fingerprint = 0;
  herd::sim::SimulationCounters counters;
  herd::sim::ParallelReport parallel;
};

// Runs the scenario with invariants checked and stores it into the database.
inline StoredRun run_and_store(const std::filesystem::path& db,
                               const herd::sim::Scenario& scenario,
                               std::shared_ptr<const herd::sim::HerdLayout> layout,
                               herd::sim::SimulationOptions options) {
  options.check_invariants = true;
  herd::sim::Simulation sim(scenario, layout, std::move(options));
  sim.run();
  store_simulation(db, scenario, *layout, sim);
  return {sim.fingerprint(), sim.counters(), sim.parallel()};
}

}  // namespace herd::testing
