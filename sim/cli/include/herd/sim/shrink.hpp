#pragma once
// Shrinking a failing run (docs/ci.md#shrinking): when a scenario fails its [expect]
// section or breaks an invariant, its whole schedule is made explicit (every client command
// the workload drew, every fault the random schedule drew) and then reduced by delta
// debugging (Zeller's ddmin) to a small subset that still fails the same way. The result is
// a scenario file anyone can rerun: the same herd, network and expectations, with only the
// commands and faults that matter.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "herd/sim/simulation.hpp"

namespace herd::sim {

struct ShrinkOptions {
  std::vector<std::string> overrides;  // --set, applied before anything else
  std::optional<std::uint64_t> seed;
  SimulationOptions simulation;        // e.g. a strategy under test
  std::size_t max_runs = 5000;         // simulations the search may spend at most
  std::function<void(const std::string&)> progress;
};

struct ShrinkResult {
  bool failed = false;          // the run as given failed (otherwise nothing was shrunk)
  std::string failure;          // how it failed: "lost_updates <= 0: 3" or the invariant
  std::size_t events_before = 0;  // client commands + faults in the explicit schedule
  std::size_t events_after = 0;
  std::size_t commands_after = 0, faults_after = 0;
  std::size_t runs = 0;         // simulations run while shrinking
  bool exhausted = false;       // max_runs ran out: smaller may exist
  std::string final_failure;    // how the shrunk scenario fails
  std::string toml;             // the shrunk scenario file
};

// Throws ScenarioError for a broken scenario file.
[[nodiscard]] ShrinkResult shrink_scenario(const std::filesystem::path& file,
                                           const ShrinkOptions& options);

}  // namespace herd::sim
