#pragma once
// Running one scenario in virtual time and storing it in a results database, as
// `herd-sim run` does, for any program that runs scenarios (the dashboard runs them on a
// worker thread): the record a stored run carries, and the whole run-then-store step with
// progress and cancellation.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "herd/sim/results_db.hpp"
#include "herd/sim/scenario.hpp"
#include "herd/sim/simulation.hpp"

namespace herd::sim {

// What results_db stores besides the metrics: this build's version, the wall-clock time of
// storing, the overrides, and the run's counters.
[[nodiscard]] RunRecord simulated_run_record(const std::vector<std::string>& overrides,
                                             std::uint64_t fingerprint,
                                             const SimulationCounters& counters,
                                             double wall_seconds);

// A run stopped because its cancel flag was set; nothing was stored.
struct RunCancelled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunStoreOptions {
  std::vector<std::string> overrides;      // recorded with the run (already applied)
  bool summary_only = false;               // no per-delivery rows (big herds)
  std::function<void(double)> progress;    // fraction of virtual time done, now and then
  const std::atomic<bool>* cancel = nullptr;  // set: stop at the next progress point
};

struct RunStoreResult {
  std::int64_t run_id = 0;
  std::uint64_t fingerprint = 0;
  SimulationCounters counters;
  double wall_seconds = 0;
};

// Builds the scenario's herd, runs it and stores it in `db` (created if missing) in one
// transaction. Throws RunCancelled, ScenarioError, ResultsError or InvariantViolation.
RunStoreResult run_and_store(const Scenario& scenario, const std::filesystem::path& db,
                             const RunStoreOptions& options = {});

}  // namespace herd::sim
