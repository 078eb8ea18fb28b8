#pragma once
// Sweeps: a grid of scenarios x variants (sets of --set overrides) x seeds, run one after
// another (or a shard of them, for a scheduler), stored in one results database and
// summarised as a Markdown table and an SVG chart.
//
// A sweep file (TOML):
//   [sweep]
//   name = "strategies"
//   scenarios = ["../maelstrom/broadcast-grid.toml", ...]   # relative to the sweep file
//   seeds = [1, 2, 3]
//   [[sweep.variants]]
//   label = "gossip f=3"
//   set = ["herd.strategy=gossip", "strategy.fanout=3"]

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "herd/sim/metrics.hpp"

namespace herd::sim {

struct SweepVariant {
  std::string label;
  std::vector<std::string> overrides;
};

struct SweepSpec {
  std::string name;
  std::filesystem::path source;
  std::vector<std::filesystem::path> scenarios;
  std::vector<std::uint64_t> seeds;
  std::vector<SweepVariant> variants;
};

// Throws std::runtime_error "file:line:column: what" for a malformed sweep file.
[[nodiscard]] SweepSpec load_sweep(const std::filesystem::path& file);

struct SweepCell {
  std::string scenario;  // the scenario's name
  std::string variant;
  std::uint64_t seed = 0;
  Summary summary;
  std::uint64_t fingerprint = 0;
  std::int64_t run_id = 0;  // in the results database, 0 if not stored
};

struct SweepOptions {
  std::uint32_t shard = 0;   // run cells i with i % shards == shard
  std::uint32_t shards = 1;
  std::filesystem::path db;  // empty: do not store
  std::function<void(const SweepCell&, std::size_t done, std::size_t total)> on_cell;
};

[[nodiscard]] std::vector<SweepCell> run_sweep(const SweepSpec& spec, const SweepOptions& options);

// Means over seeds, one row per (scenario, variant), in sweep order.
[[nodiscard]] std::string sweep_markdown(const SweepSpec& spec, const std::vector<SweepCell>& cells);
// Two panels (messages per update, p99 propagation delay), grouped by scenario.
[[nodiscard]] std::string sweep_svg(const SweepSpec& spec, const std::vector<SweepCell>& cells);

}  // namespace herd::sim
