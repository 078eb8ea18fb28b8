// A scenario at every bound the reader allows runs to its end: durations of ten years, the
// latest epoch, ten-year latencies, crashes, skew and random faults, and rates too small to
// draw a single request. Under the asan preset UBSan turns any overflow into a failure.

#include <catch2/catch.hpp>
#include <string>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"

using namespace herd::sim;

namespace {

Summary run_text(const std::string& text) {
  const Scenario scenario = parse_scenario(text, "bounds.toml");
  Simulation sim(scenario, layout_of(build_friend_graph(scenario)));
  sim.run();
  return sim.metrics().summarize();
}

}  // namespace

TEST_CASE("sim bounds: a scenario at every duration bound runs without overflow") {
  const std::string text =
      "[scenario]\nname = \"extremes\"\nduration = \"87600h\"\ndrain = \"87600h\"\n"
      "sample_every = \"87600h\"\nepoch = " + std::to_string(kMaxEpochSeconds) + "\n"
      "[herd]\nservers = [\"A\", \"B\", \"C\"]\nfriends = [[\"A\", \"B\"], [\"B\", \"C\"]]\n"
      "[network]\nlatency = { dist = \"constant\", value = \"87600h\" }\n"
      "client_latency = { dist = \"pareto\", scale = \"1h\", shape = 0.05 }\n"
      "reconnect = \"87600h\"\n"
      "[[faults]]\nat = \"1s\"\ncrash = \"A\"\nfor = \"87600h\"\n"
      "[[faults]]\nat = \"2s\"\nclock = { server = \"B\", skew = \"87600h\", drift_ppm = 1000000 }\n"
      "[[faults]]\nat = \"3s\"\nclock = { server = \"C\", skew = \"-87600h\", drift_ppm = -1000000 }\n"
      "[random_faults]\ncrashes = 2\nwithin = [\"0s\", \"87600h\"]\nmax_duration = \"87600h\"\n"
      "[workload]\nclients = 3\niamat = { rate = \"1/h\" }\n";
  const Summary summary = run_text(text);
  // About 87,600 are sent (one an hour for ten years); the Pareto client latency, clamped
  // at ten years, delays most past the end of the run.
  CHECK(summary.requests > 10000);
  CHECK(summary.updates > 0);
}

TEST_CASE("sim bounds: a rate too small to draw one request in the run draws none") {
  const Summary summary = run_text(
      "[scenario]\nname = \"tiny\"\n[herd]\nservers = [\"A\", \"B\"]\nfriends = [[\"A\", \"B\"]]\n"
      "[workload]\nclients = 3\niamat = { rate = 1e-300 }\n");
  CHECK(summary.requests == 0);
}

TEST_CASE("sim bounds: errors found only when the herd is built point into the scenario") {
  const std::string head = "[scenario]\nname = \"late\"\n[herd]\n";
  const auto build_error = [](const std::string& text) -> std::string {
    const Scenario scenario = parse_scenario(text, "late.toml");
    try {
      Simulation sim(scenario, layout_of(build_friend_graph(scenario)));
    } catch (const std::exception& error) {
      return error.what();
    }
    FAIL("the herd was built");
    return {};
  };
  CHECK_THAT(build_error(head + "generate = { kind = \"erdos_renyi\", n = 100000, p = 0.5 }\n"),
             Catch::Matchers::StartsWith("late.toml:4:12: herd.generate: erdos_renyi(n=100000"));
  CHECK_THAT(build_error(head + "servers = [\"A\", \"B\", \"C\"]\n"
                                "friends = [[\"A\", \"B\"], [\"B\", \"C\"]]\n"
                                "[[network.links]]\nbetween = [\"A\", \"C\"]\nlatency = \"5ms\"\n"),
             Catch::Matchers::StartsWith("late.toml:6:1: network.links[0]: A and C are not friends"));
}
