#pragma once
// The propagation strategy in a TOML document, the same way in herd configs and scenario
// files: `strategy = "flood" | "gossip" | "rumor" | "plumtree"` in [herd], and a
// [strategy] table with its parameters (docs/strategies/README.md lists them).

#include <toml++/toml.h>

#include <functional>
#include <string>

#include "herd/core/propagation.hpp"

namespace herd::config {

// Called with the offending node's position and a message; must throw.
using FailAt = std::function<void(const toml::source_region&, const std::string&)>;

// Reads [herd] strategy and [strategy] from `root` into `config` (keys that are absent
// keep config's values, so callers set their own defaults first). Unknown keys and bad
// values go to `fail`.
void read_propagation(const toml::table& root, core::PropagationConfig& config,
                      const FailAt& fail);

// "flood", "rumor+anti-entropy", ...: what a run reports as its strategy.
[[nodiscard]] std::string propagation_label(const core::PropagationConfig& config);

}  // namespace herd::config
