#pragma once
// Scenario documents as TOML trees, for tools that rewrite a scenario file (the shrinker)
// rather than interpret it. Needs toml++ (link herd_toml).

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace herd::sim {

// Applies `--set key=value` overrides to a parsed scenario document exactly as
// load_scenario does; throws ScenarioError for a malformed one.
void apply_scenario_overrides(toml::table& document, const std::vector<std::string>& overrides);

}  // namespace herd::sim
