#pragma once
// Sweeps: a grid of scenarios x variants (sets of --set overrides) x seeds, run on worker
// threads (or a shard of them, for a scheduler), stored in one results database in cell
// order, checked against each scenario's [expect] section, and summarised as a Markdown
// table (`herd-dash plot --sweep NAME --chart sweep` draws the chart). docs/sweeps.md is the
// reference.
//
// A sweep file (TOML):
//   [sweep]
//   name = "strategies"
//   scenarios = ["../maelstrom/broadcast-grid.toml", ...]   # relative to the sweep file
//   seeds = [1, 2, 3]
//   expect = true          # check each scenario's [expect] for every cell (the default)
//   [[sweep.variants]]
//   label = "gossip f=3"
//   set = ["herd.strategy=gossip", "strategy.fanout=3"]
//   expect = false         # optional: this variant's cells are not checked

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "herd/sim/expectations.hpp"
#include "herd/sim/live_runner.hpp"
#include "herd/sim/metrics.hpp"

namespace herd::sim {

struct SweepVariant {
  std::string label;
  std::vector<std::string> overrides;
  std::optional<bool> expect;  // unset: the sweep's `expect`
};

struct SweepSpec {
  std::string name;
  // "name@" and 16 hex digits of a hash of the sweep file's bytes and every scenario file's
  // bytes: equal on every machine that holds the same files, different once any changes.
  // Stored in runs.sweep_id with each cell.
  std::string id;
  std::filesystem::path source;
  std::vector<std::filesystem::path> scenarios;
  std::vector<std::uint64_t> seeds;
  std::vector<SweepVariant> variants;
  bool expect = true;  // check each scenario's [expect] section for every cell
};

// Throws std::runtime_error "file:line:column: what" for a malformed sweep file, or naming
// a scenario file that cannot be read.
[[nodiscard]] SweepSpec load_sweep(const std::filesystem::path& file);

struct SweepCell {
  std::string scenario;  // the scenario's name
  std::string variant;
  std::uint64_t seed = 0;
  Summary summary;
  std::uint64_t fingerprint = 0;
  std::int64_t run_id = 0;  // in the results database, 0 if not stored
  bool reused = false;      // read back from the database instead of run again
  std::filesystem::path scenario_path;
  std::vector<std::string> overrides;  // the variant's
  std::vector<ExpectationResult> expectations;  // the scenario's [expect], checked (unless off)
};

struct SweepOptions {
  std::uint32_t shard = 0;   // run cells i with i % shards == shard
  std::uint32_t shards = 1;
  std::filesystem::path db;  // empty: do not store
  unsigned jobs = 1;         // worker threads, 0: one per core; results do not depend on it
  // false: cells the database already holds for this sweep id (same variant, scenario and
  // seed) are read back, not run again. true: run and store every cell again.
  bool append = false;
  // Called on the calling thread, once per cell, in cell order.
  std::function<void(const SweepCell&, std::size_t done, std::size_t total)> on_cell;
  // Set: every cell runs on real herd-server processes (docs/live-backend.md), one after
  // the other whatever `jobs` says, and is stored with backend 'live'; reuse only takes
  // live cells of the sweep. Unset: the simulator.
  std::optional<LiveRunOptions> live;
};

// Cell i of the grid is scenario i / (variants x seeds), variant (i / seeds) % variants,
// seed i % seeds. Throws for a scenario that does not load (before running anything).
[[nodiscard]] std::vector<SweepCell> run_sweep(const SweepSpec& spec, const SweepOptions& options);

// Every cell of the sweep found in the results database (the newest run of each on the
// backend, "sim" or "live"), in cell order, with expectations checked; `missing` counts the
// cells it lacks.
[[nodiscard]] std::vector<SweepCell> load_sweep_cells(const SweepSpec& spec,
                                                      const std::filesystem::path& db,
                                                      std::size_t& missing,
                                                      const std::string& backend = "sim");

// One line per failed expectation: "scenario / variant / seed N: name expected, got actual".
[[nodiscard]] std::vector<std::string> sweep_failures(const std::vector<SweepCell>& cells);

// Means over seeds, one row per (scenario, variant), in sweep order. `live`: the cells ran
// on the live backend, which the note under the table says.
[[nodiscard]] std::string sweep_markdown(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                                         bool live = false);

}  // namespace herd::sim
