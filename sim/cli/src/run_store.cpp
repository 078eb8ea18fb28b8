#include "herd/sim/run_store.hpp"

#include <chrono>
#include <ctime>

#include "herd/sim/herd_builder.hpp"

#ifndef HERD_VERSION
#define HERD_VERSION "unknown"
#endif

namespace herd::sim {

RunRecord simulated_run_record(const std::vector<std::string>& overrides, std::uint64_t fingerprint,
                               const SimulationCounters& counters, double wall_seconds) {
  RunRecord record;
  record.herd_version = HERD_VERSION;
  // Metadata only: when the run was stored (never part of its results).
  std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  record.recorded_at = text;
  record.overrides = overrides;
  record.fingerprint = fingerprint;
  record.wall_seconds = wall_seconds;
  record.events = counters.events;
  record.peer_deliveries = counters.peer_deliveries;
  record.peer_dropped = counters.peer_dropped;
  record.client_commands = counters.client_commands;
  record.drained_ns = counters.drained_ns;
  return record;
}

RunStoreResult run_and_store(const Scenario& scenario, const std::filesystem::path& db,
                             const RunStoreOptions& options) {
  const std::shared_ptr<const HerdLayout> layout = build_herd_layout(scenario);
  auto places = open_scenario_places(scenario);
  SimulationOptions sim_options;
  sim_options.keep_deliveries = !options.summary_only;
  sim_options.places = places.get();
  sim_options.progress = [&](double fraction) {
    if (options.cancel != nullptr && options.cancel->load()) throw RunCancelled("run cancelled");
    if (options.progress) options.progress(fraction);
  };
  Simulation sim(scenario, layout, sim_options);
  const auto start = std::chrono::steady_clock::now();
  sim.run();
  if (options.cancel != nullptr && options.cancel->load()) throw RunCancelled("run cancelled");
  RunStoreResult result;
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.fingerprint = sim.fingerprint();
  result.counters = sim.counters();
  ResultsDb results(db);
  RunRecord record =
      simulated_run_record(options.overrides, result.fingerprint, result.counters, result.wall_seconds);
  record.trace = sim.trace();  // when the scenario asked for a message trace, as herd-sim run stores it
  result.run_id = results.store_run(scenario, *layout, sim.faults(), sim.metrics(), record);
  return result;
}

}  // namespace herd::sim
