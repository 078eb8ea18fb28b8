// Bounds on what a scenario file may ask for: durations, the epoch, staleness sampling, and
// the files it names. Each of these once overflowed, hung or ran out of memory; each is now
// an error at the value's position.

#include <catch2/catch.hpp>
#include <string>

#include "herd/sim/scenario.hpp"
#include "scenario_test_support.hpp"

using namespace herd::sim;
using namespace scenario_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using herd::testing::TempDir;

TEST_CASE("scenario bounds: no duration beyond ten years of virtual time") {
  CHECK_THAT(error_of(with_head(""), {"scenario.duration=\"2562047h\""}),
             Contains("scenario.duration: must be at most 87600h (10 years), got \"2562047h\""));
  CHECK_THAT(error_of(with_head(""), {"network.reconnect=\"87601h\""}),
             Contains("network.reconnect: must be at most 87600h"));
  CHECK_THAT(error_of(with_head("[network]\nlatency = { dist = \"constant\", value = \"99999h\" }\n")),
             StartsWith("t.toml:8:40: network.latency.value: must be at most 87600h"));
  CHECK_THAT(error_of(with_head("[[faults]]\nat = \"1s\"\ncrash = \"A\"\nfor = \"2562047h\"\n")),
             StartsWith("t.toml:10:7: faults[0].for: must be at most 87600h"));
  CHECK_THAT(error_of(with_head("[[faults]]\nat = \"1s\"\nclock = { server = \"A\", skew = "
                                "\"-2562047h\" }\n")),
             Contains("skew: must be within 87600h (10 years) of 0"));
  // At the bound itself the scenario reads.
  const Scenario at_bound = parse_scenario(with_head(""), "t.toml",
                                           {"scenario.duration=\"87600h\"",
                                            "scenario.sample_every=\"1h\""});
  CHECK(at_bound.duration_ns == kMaxScenarioDuration);
}

TEST_CASE("scenario bounds: the epoch leaves room for every sum the runtimes form") {
  CHECK_THAT(error_of(with_head(""), {"scenario.epoch=9223372036"}),
             Contains("scenario.epoch: expected an integer from 0 to " +
                      std::to_string(kMaxEpochSeconds)));
  const Scenario latest = parse_scenario(
      with_head(""), "t.toml", {"scenario.epoch=" + std::to_string(kMaxEpochSeconds)});
  CHECK(latest.epoch_ns + 8 * kMaxScenarioDuration >= latest.epoch_ns);  // no wrap
}

TEST_CASE("scenario bounds: staleness sampling is limited to a million instants") {
  CHECK_THAT(error_of(with_head(""), {"scenario.sample_every=\"1ns\""}),
             Contains("scenario.sample_every: 1ns over the duration and drain (70s) makes more "
                      "than 1000000 staleness samples; set sample_every to at least 70.001us"));
  // Without sample_every the error points at the duration that made the default too fine.
  CHECK_THAT(error_of("[scenario]\nname = \"t\"\nduration = \"87600h\"\n[herd]\n"
                      "servers = [\"A\"]\n"),
             StartsWith("t.toml:3:12: scenario.sample_every: 1s over the duration"));
  CHECK_NOTHROW(parse_scenario(with_head(""), "t.toml", {"scenario.sample_every=\"70001ns\""}));
}

TEST_CASE("scenario bounds: a file that never ends is refused, not read forever") {
  TempDir dir;
  try {
    (void)load_scenario("/dev/zero");
    FAIL("/dev/zero was read as a scenario");
  } catch (const ScenarioError& error) {
    CHECK(error.file == "/dev/zero");
    CHECK_THAT(error.message, StartsWith("the scenario file is larger than the limit of"));
  }
  const auto scenario = dir.write(
      "s.toml", with_head("[network]\nlatency = { dist = \"empirical\", file = \"/dev/zero\" }\n"));
  CHECK_THAT(error_of(with_head("[network]\nlatency = { dist = \"empirical\", file = "
                                "\"/dev/zero\" }\n"),
                      {}, scenario.string()),
             Contains("s.toml:8:40: network.latency.file: cannot read \"/dev/zero\": latency "
                      "sample file is larger than the limit of"));
  try {
    (void)load_scenario(dir.path());
    FAIL("a folder was read as a scenario");
  } catch (const ScenarioError& error) {
    CHECK_THAT(error.message, Contains("it is a folder"));
  }
}

TEST_CASE("scenario bounds: a graph file without servers, or broken, is an error at herd.file") {
  TempDir dir;
  dir.write("empty.dot", "graph g {}\n");
  dir.write("empty.edges", "# no edges\n");
  dir.write("broken.dot", "graph g { a -- }\n");
  const auto scenario = dir.write("s.toml", "x");
  const std::string head = "[scenario]\nname = \"g\"\n[herd]\n";
  CHECK_THAT(error_of(head + "file = \"empty.dot\"\n", {}, scenario.string()),
             Contains("s.toml:4:8: herd.file: \"" + (dir.path() / "empty.dot").generic_string() +
                      "\" has no servers"));
  CHECK_THAT(error_of(head + "file = \"empty.edges\"\n", {}, scenario.string()),
             Contains("s.toml:4:8: herd.file: "));
  CHECK_THAT(error_of(head + "file = \"empty.edges\"\n", {}, scenario.string()),
             Contains("has no servers"));
  // The graph file's own error keeps its position inside that file.
  CHECK_THAT(error_of(head + "file = \"broken.dot\"\n", {}, scenario.string()),
             Contains("s.toml:4:8: herd.file: " + (dir.path() / "broken.dot").string() + ":1:"));
}

TEST_CASE("scenario bounds: generated herds and graph files share one server limit") {
  CHECK_THAT(error_of("[scenario]\nname = \"g\"\n[herd]\n"
                      "generate = { kind = \"ring\", n = 1000001 }\n"),
             Contains("herd.generate.n: expected an integer from 3 to 1000000"));
}
