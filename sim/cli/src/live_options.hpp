#pragma once
// herd-sim's side of the live backend (docs/live-backend.md): the options `run`, `check` and
// `sweep` share, a live run summed up as an Outcome, stored, and printed. Internal to
// herd_sim_cli; cli.cpp registers the commands.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "herd/sim/herd_layout.hpp"
#include "herd/sim/live_runner.hpp"
#include "herd/sim/scenario.hpp"
#include "run_outcome.hpp"

namespace herd::sim {

// --server-bin, --clients, --link-loss, --live-dir, --keep-live-dir.
void add_live_options(CLI::App* command, LiveRunOptions& live);

// The options as given, with progress lines on stderr unless quiet.
[[nodiscard]] LiveRunOptions live_run_options(LiveRunOptions options, bool quiet);

// Runs the scenario live and sums it up like a simulated run; `live` keeps what the run
// left (metrics, faults) for storing.
[[nodiscard]] Outcome run_live_outcome(const Scenario& scenario, const HerdLayout& layout,
                                       const LiveRunOptions& options, bool keep_deliveries,
                                       bool quiet, LiveOutcome& live);

// Stores a live run (backend 'live', no fingerprint); returns its run_id.
std::int64_t store_live_run(const std::string& db_path, const std::vector<std::string>& overrides,
                            const Scenario& scenario, const HerdLayout& layout,
                            const LiveOutcome& live, const Outcome& out);

// `herd-sim run --backend live`: runs, prints the summary, stores the run in db_path
// (empty: nowhere). Returns the exit code.
int run_live_command(const Scenario& scenario, const HerdLayout& layout,
                     const LiveRunOptions& options, const std::vector<std::string>& overrides,
                     const std::string& db_path, bool summary_only, bool quiet);

}  // namespace herd::sim
