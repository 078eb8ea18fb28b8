#pragma once
// What herd-sim's commands keep of one run, whichever backend ran it, and how it is stored.
// Internal to herd_sim_cli.

#include <cstdint>
#include <string>
#include <vector>

#include "herd/sim/metrics.hpp"
#include "herd/sim/results_db.hpp"
#include "herd/sim/run_store.hpp"
#include "herd/sim/simulation.hpp"

namespace herd::sim {

struct Outcome {
  Summary summary;
  std::uint64_t fingerprint = 0;
  SimulationCounters counters;
  double wall_seconds = 0;
  std::string trace_note;  // what the message trace recorded; empty without one
  std::string parallel_note;  // how a run asked to use threads used them; empty if serial
};

[[nodiscard]] inline RunRecord make_record(const std::vector<std::string>& overrides,
                                           const Outcome& o) {
  return simulated_run_record(overrides, o.fingerprint, o.counters, o.wall_seconds);
}

}  // namespace herd::sim
