#pragma once
// herd-sim compare: two stored runs side by side, each metric judged against a tolerance
// (docs/compare.md). The rows and verdicts come from the experiment layer
// (herd/sim/run_comparison.hpp), shared with the dashboard; this file only parses the
// command line and prints them. Kept apart from cli.cpp, which only registers it.

#include <functional>

#include <CLI/CLI.hpp>

namespace herd::sim {

// Adds the `compare` subcommand to `app` and sets `sub` to it; the returned function runs
// it once the command line is parsed and returns the exit code: 0 within tolerance, 1 not,
// 2 bad input (no such database or run, a negative tolerance).
[[nodiscard]] std::function<int()> add_compare_command(CLI::App& app, CLI::App*& sub);

}  // namespace herd::sim
