#pragma once
// The section readers behind parse_scenario, one per part of the format. Each takes the
// document (already overridden), fills its part of the Scenario and throws ScenarioError at
// the first mistake. They share a ReadContext so later sections can check server names and
// times against what earlier sections established.

#include <toml++/toml.h>

#include <filesystem>
#include <initializer_list>
#include <string_view>

#include "herd/sim/scenario.hpp"
#include "toml_access.hpp"

namespace herd::sim::detail {

struct ReadContext {
  std::filesystem::path base_dir;  // relative paths in the scenario resolve against this
  ServerNames servers;             // filled by read_herd
  Nanoseconds duration_ns = 0;     // filled by read_scenario_table
};

// A path as written, resolved against the scenario's folder.
[[nodiscard]] std::filesystem::path resolve(const ReadContext& context, const std::string& path);

// [herd]: the topology and strategy; sets context.servers when the names are known.
void read_herd(const toml::table& root, Scenario& scenario, ReadContext& context);

// A latency distribution: an inline table with `dist` and its parameters, or a duration
// string as shorthand for a constant. extra_keys are other keys allowed in the same table
// (the latency fault keeps `between` beside the distribution).
[[nodiscard]] DelayDistribution read_distribution(
    const toml::node& node, std::string_view path, const ReadContext& context,
    std::initializer_list<std::string_view> extra_keys = {});

// [network]
void read_network(const toml::table& root, Scenario& scenario, const ReadContext& context);

// [[faults]] and [random_faults]
void read_faults(const toml::table& root, Scenario& scenario, const ReadContext& context);

// [workload]
void read_workload(const toml::table& root, Scenario& scenario, const ReadContext& context);

}  // namespace herd::sim::detail
