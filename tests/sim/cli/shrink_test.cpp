// The shrinker (sim/cli/src/shrink.cpp) on a planted bug: a flood that never sends to a friend
// again once their link has gone down and come back. Anti-entropy hides it (the herd still
// converges, a round later), so only a timing expectation catches it, somewhere in hundreds
// of client commands and random faults; the shrinker must find the few that matter.
#include "herd/sim/shrink.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>

#include "herd/core/propagation.hpp"
#include "herd/sim/expectations.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;
namespace core = herd::core;

namespace {

class ForgetfulFlood final : public core::PropagationStrategy {
 public:
  std::string_view name() const override { return "forgetful-flood"; }
  void on_new_update(core::PeerChannel& ch, const core::LocationUpdate& update,
                     std::uint32_t hops, std::optional<core::PeerId> from) override {
    for (core::PeerId p = 0; p < ch.friend_count(); ++p) {
      if ((from && *from == p) || forgotten_.count(p)) continue;
      ch.send(p, core::peer_update_line(update, hops + 1));
    }
  }
  void on_peer_down(core::PeerChannel&, core::PeerId peer) override { forgotten_.insert(peer); }

 private:
  std::set<core::PeerId> forgotten_;  // the bug: never cleared when the link comes back
};

// With anti-entropy as configured: the herd still converges, only late.
core::StrategyFactory forgetful() {
  return [](const core::PropagationConfig& config) {
    return core::make_propagation(config, std::make_unique<ForgetfulFlood>());
  };
}

constexpr const char* kScenario = R"(
[scenario]
name = "forgetful"
seed = 4
duration = "30s"

[herd]
servers = ["A", "B", "C", "D", "E", "F"]
friends = [["A", "B"], ["B", "C"], ["C", "D"], ["D", "E"], ["E", "F"], ["F", "A"], ["A", "D"]]

[strategy]
anti_entropy = true
anti_entropy_period = "2s"

[network]
latency = { dist = "uniform", min = "5ms", max = "30ms" }

[random_faults]
crashes = 2
partitions = 2
within = ["5s", "20s"]
max_duration = "3s"
amnesia = false

[workload]
clients = 40
iamat = { rate = "20/s" }
whatsat = { rate = "2/s" }
end = "25s"

# Flooding delivers the last update in well under 300 ms; waiting for anti-entropy's next
# round does not.
[expect]
lost_updates = 0
converge_within = "300ms"
)";

}  // namespace

TEST_CASE("shrink: a planted flood bug is caught, then reduced to a handful of events") {
  herd::testing::TempDir dir("herd-shrink");
  const auto file = dir.path() / "forgetful.toml";
  std::ofstream(file) << kScenario;

  // The real flood passes the scenario; the planted one fails it.
  const Scenario scenario = load_scenario(file);
  const HerdLayout layout = layout_of(build_friend_graph(scenario));
  {
    Simulation sim(scenario, layout);
    sim.run();
    for (const auto& r : check_expectations(scenario.expect, sim.metrics().summarize())) {
      INFO(r.name << " " << r.expected << ": " << r.actual);
      CHECK(r.passed);
    }
  }
  SimulationOptions planted;
  planted.strategy_factory = forgetful();
  {
    Simulation sim(scenario, layout, planted);
    sim.run();
    auto results = check_expectations(scenario.expect, sim.metrics().summarize());
    CHECK(std::any_of(results.begin(), results.end(), [](const auto& r) { return !r.passed; }));
  }

  ShrinkOptions options;
  options.simulation = planted;
  const ShrinkResult result = shrink_scenario(file, options);
  INFO(result.toml);
  REQUIRE(result.failed);
  CHECK(result.events_before > 400);
  CHECK(result.events_after <= 6);
  CHECK(result.faults_after >= 1);     // a link must go down and come back
  CHECK(result.commands_after >= 1);   // and an update must need it afterwards
  CHECK_FALSE(result.exhausted);

  // The written file is a scenario of its own that still fails with the bug, and passes
  // with the real flood.
  const auto shrunk_file = dir.path() / "forgetful.shrunk.toml";
  std::ofstream(shrunk_file) << result.toml;
  const Scenario shrunk = load_scenario(shrunk_file);
  CHECK(shrunk.workload.script.size() == result.commands_after);
  CHECK(shrunk.faults.size() == result.faults_after);
  CHECK_FALSE(shrunk.random_faults.enabled);
  {
    Simulation sim(shrunk, layout, planted);
    sim.run();
    auto results = check_expectations(shrunk.expect, sim.metrics().summarize());
    CHECK(std::any_of(results.begin(), results.end(), [](const auto& r) { return !r.passed; }));
  }
  {
    Simulation sim(shrunk, layout);
    sim.run();
    for (const auto& r : check_expectations(shrunk.expect, sim.metrics().summarize())) {
      CHECK(r.passed);
    }
  }
}

TEST_CASE("shrink: a scenario that passes has nothing to shrink") {
  herd::testing::TempDir dir("herd-shrink");
  const auto file = dir.path() / "fine.toml";
  std::ofstream(file) << kScenario;
  const ShrinkResult result = shrink_scenario(file, {});
  CHECK_FALSE(result.failed);
  CHECK(result.toml.empty());
}
