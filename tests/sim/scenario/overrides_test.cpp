#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "herd/sim/scenario_file.hpp"
#include "scenario_test_support.hpp"

using namespace herd::sim;
using Catch::Matchers::StartsWith;
using scenario_test::error_of;
using scenario_test::examples;
using scenario_test::with_head;

namespace {
constexpr Nanoseconds kMs = 1'000'000;
constexpr Nanoseconds kS = 1'000'000'000;

const std::string kGenerated =
    "[scenario]\nname = \"g\"\nduration = \"30s\"\n"
    "[herd]\ngenerate = { kind = \"watts_strogatz\", n = 20, k = 4, p = 0.1 }\n"
    "[network]\nlatency = { dist = \"lognormal\", median = \"20ms\", sigma = 0.6 }\n"
    "[[faults]]\nat = \"10s\"\npartition = [[\"s00\"], [\"s01\"]]\nfor = \"5s\"\n"
    "[workload]\nclients = 100\niamat = { rate = \"200/s\" }\n";
}  // namespace

TEST_CASE("overrides: the documented examples change their fields") {
  const Scenario s = parse_scenario(kGenerated, "g.toml",
                                    {"workload.iamat.rate=500/s", "scenario.seed=9",
                                     "herd.generate.n=200", "network.latency.median=30ms",
                                     // 200 servers are s000..s199: names are checked
                                     // against the herd the overrides make.
                                     "faults.0.partition=[[\"s000\"], [\"s001\"]]"});
  CHECK(s.workload.iamat_per_s == 500.0);
  CHECK(s.seed == 9);
  CHECK(s.topology.n == 200);
  CHECK(s.topology.k == 4);
  CHECK(s.network.latency.median_ns == 30 * kMs);
  CHECK(s.network.latency.sigma == 0.6);
  // The text stays as read: the overrides are the caller's to record beside it.
  CHECK(s.source_text == kGenerated);
}

TEST_CASE("overrides: values parse as TOML when they can and as strings otherwise") {
  const Scenario s = parse_scenario(
      kGenerated, "g.toml",
      {"scenario.name=my run", "scenario.description=\"quoted\"", "herd.generate.connected=false",
       "network.latency={ dist = \"constant\", value = \"5ms\" }", "expect.min_reach=0.5",
       "workload.mobility.box=[0, 0, 1, 1]"});
  CHECK(s.name == "my run");
  CHECK(s.description == "quoted");
  CHECK_FALSE(s.topology.ensure_connected);
  CHECK(s.network.latency.kind == DelayDistribution::Kind::constant);
  CHECK(s.network.latency.value_ns == 5 * kMs);
  CHECK(s.expect.min_reach == 0.5);  // [expect] did not exist: the override made it
  CHECK(s.workload.lat_max == 1.0);
}

TEST_CASE("overrides: a numeric key indexes an array of tables") {
  const Scenario s = parse_scenario(kGenerated, "g.toml", {"faults.0.at=12.5s", "faults.0.for=1s"});
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].at_ns == 12'500 * kMs);
  CHECK(s.faults[0].duration_ns == kS);
}

TEST_CASE("overrides: replacing an array element is checked against the rest of the file") {
  const Scenario s =
      parse_scenario(with_head(""), "t.toml", {"herd.servers.0=Z", "herd.friends=[]"});
  CHECK(s.topology.servers == std::vector<std::string>{"Z", "B", "C"});
  CHECK(s.topology.friends.empty());
  // The file's friends still name A, which the override removed from the herd.
  CHECK_THAT(error_of(with_head(""), {"herd.servers.0=Z"}),
             StartsWith("t.toml:6:13: herd.friends[0][0]: \"A\" is not a server of this herd"));
  CHECK_THAT(error_of(with_head("[[faults]]\nat = \"1s\"\ncrash = \"A\"\n"), {"faults.0.crash=Q"}),
             StartsWith("--set faults.0.crash=Q:1:22: faults[0].crash: \"Q\" is not a server"));
}

TEST_CASE("overrides: a later override of the same key wins") {
  const Scenario s = load_scenario(examples() / "minimal.toml",
                                   {"scenario.seed=3", "scenario.seed=4", "scenario.duration=1m"});
  CHECK(s.seed == 4);
  CHECK(s.duration_ns == 60 * kS);
}

TEST_CASE("overrides: an override value is validated like file content and named") {
  CHECK(error_of(kGenerated, {"scenario.duration=-5s"}) ==
        "--set scenario.duration=-5s:1:25: scenario.duration: must not be negative, got \"-5s\"");
  CHECK(
      error_of(kGenerated, {"scenario.seed=abc"}) ==
      "--set scenario.seed=abc:1:21: scenario.seed: expected an integer from 0 to "
      "18446744073709551615 (a decimal string above 9223372036854775807), got the string \"abc\"");
  CHECK_THAT(
      error_of(kGenerated, {"workload.iamat.rate=fast"}),
      StartsWith("--set workload.iamat.rate=fast:1:27: workload.iamat.rate: expected a rate"));
  CHECK_THAT(
      error_of(kGenerated, {"herd.generate.kind=hypercube"}),
      StartsWith("--set herd.generate.kind=hypercube:1:26: herd.generate.kind: unknown generator"));
  // Moving a fault past the end is caught against the (overridden) duration.
  CHECK_THAT(error_of(kGenerated, {"scenario.duration=5s"}),
             StartsWith("t.toml:9:6: faults[0].at: 10s is after the scenario ends"));
}

TEST_CASE("overrides: an override naming an unknown key is an error naming the override") {
  CHECK(error_of(kGenerated, {"workload.iamat.rte=5/s"}) ==
        "--set workload.iamat.rte=5/s:1:22: unknown key \"rte\" in workload.iamat; did you mean "
        "\"rate\"? expected one of: rate");
  CHECK_THAT(error_of(kGenerated, {"sceanrio.seed=1"}),
             StartsWith("--set sceanrio.seed=1:1:7: unknown key \"sceanrio\" at the top level; "
                        "did you mean \"scenario\"?"));
  CHECK_THAT(error_of(kGenerated, {"expect.lost=0"}),
             StartsWith("--set expect.lost=0:1:14: unknown key \"lost\" in [expect]"));
  CHECK_THAT(
      error_of(with_head(""), {"herd.generate.n=5"}),
      StartsWith(
          "--set herd.generate.n=5:1:12: herd.generate conflicts with herd.servers (line 5)"));
}

TEST_CASE("overrides: malformed overrides and paths through values are errors") {
  CHECK(error_of(kGenerated, {"scenario.seed"}) ==
        "--set scenario.seed:1:7: expected key=value with a dotted key, such as "
        "workload.iamat.rate=500/s");
  CHECK_THAT(error_of(kGenerated, {"=5"}), StartsWith("--set =5:1:7: expected key=value"));
  CHECK_THAT(error_of(kGenerated, {"scenario..seed=1"}),
             StartsWith("--set scenario..seed=1:1:16: empty part in dotted key"));
  CHECK_THAT(error_of(kGenerated, {"scenario.se ed=1"}),
             StartsWith("--set scenario.se ed=1:1:18: keys may use letters"));
  CHECK(error_of(kGenerated, {"scenario.duration.low=1"}) ==
        "--set scenario.duration.low=1:1:25: scenario.duration is the string \"30s\", not a "
        "table, so it has no key \"low\"");
  CHECK(error_of(kGenerated, {"faults.1.at=1s"}) ==
        "--set faults.1.at=1s:1:14: faults has 1 entries (indices from 0); there is no entry 1");
  CHECK_THAT(error_of(kGenerated, {"faults.first.at=1s"}),
             StartsWith("--set faults.first.at=1s:1:14: faults is an array; expected an index"));
  CHECK_THAT(error_of(kGenerated, {"scenario.name=a\nb"}),
             StartsWith("--set scenario.name=a\nb:1:21: an override value must be on one line"));
}
