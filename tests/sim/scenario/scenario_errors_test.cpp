#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "herd/sim/scenario_file.hpp"
#include "scenario_test_support.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using scenario_test::error_of;
using herd::testing::TempDir;
using scenario_test::with_head;

// Every case: scenario text (lines 1-6 are the shared valid head unless noted) and the
// start of the expected message, position included.
namespace {
struct Case {
  std::string text;
  std::string expected;
};

void check_cases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK_THAT(error_of(c.text), StartsWith(c.expected));
  }
}
}  // namespace

TEST_CASE("scenario errors: a TOML syntax error gives the parser's message and position") {
  CHECK_THAT(error_of("[scenario]\nname = \"x\"\nseed = \n"),
             StartsWith("t.toml:3:8: TOML syntax error: "));
  CHECK_THAT(error_of("[scenario\n"), StartsWith("t.toml:1:"));
  CHECK_THAT(error_of(with_head("[network]\nlatency = { dist = \"constant\", value = \"1ms\"\n")),
             StartsWith("t.toml:8:"));
}

TEST_CASE("scenario errors: unknown keys are rejected at every level") {
  check_cases({
      {with_head("[netwrok]\n"),
       "t.toml:7:2: unknown key \"netwrok\" at the top level; did you mean \"network\"? "
       "expected one of: scenario, herd, strategy, network, faults, random_faults, workload, expect"},
      {"[scenario]\nname = \"t\"\nsede = 3\n", "t.toml:3:1: unknown key \"sede\" in [scenario]"},
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\"]\nstrategie = \"flood\"\n",
       "t.toml:5:1: unknown key \"strategie\" in [herd]; did you mean \"strategy\"?"},
      {with_head("[network]\nlatency = { dist = \"lognormal\", median = \"20ms\", sigma = 0.5, "
                 "mean = \"1ms\" }\n"),
       "t.toml:8:63: unknown key \"mean\" in network.latency (lognormal); did you mean \"median\"? "
       "expected one of: dist, median, sigma"},
      {with_head(
           "[[network.links]]\nbetween = [\"A\", \"B\"]\nlatency = \"1ms\"\nlatencey = \"2ms\"\n"),
       "t.toml:10:1: unknown key \"latencey\" in network.links[0]"},
      {with_head("[[faults]]\nat = \"1s\"\ncrash = \"A\"\nfro = \"2s\"\n"),
       "t.toml:10:1: unknown key \"fro\" in faults[0]; did you mean \"for\"?"},
      {with_head("[[faults]]\nat = \"1s\"\nclog = { between = [\"A\", \"B\"], for = \"1s\" }\n"),
       "t.toml:9:32: unknown key \"for\" in faults[0].clog; expected one of: between"},
      {with_head(
           "[[faults]]\nat = \"1s\"\nclock = { server = \"A\", skew = \"1ms\", drift = 3 }\n"),
       "t.toml:9:39: unknown key \"drift\" in faults[0].clock; did you mean \"drift_ppm\"?"},
      {with_head("[random_faults]\ncrashes = 1\nmax_duration = \"1s\"\nmaxdown = 2\n"),
       "t.toml:10:1: unknown key \"maxdown\" in [random_faults]"},
      {with_head("[workload]\nclients = 2\niamat = { rate = \"1/s\", burst = 3 }\n"),
       "t.toml:9:25: unknown key \"burst\" in workload.iamat"},
      {with_head("[workload]\nclients = 2\nmobility = { speed = 1, area = 3 }\n"),
       "t.toml:9:25: unknown key \"area\" in workload.mobility"},
      {with_head("[[workload.script]]\nat = \"1s\"\nserver = \"A\"\nline = \"x\"\nwhen = 1\n"),
       "t.toml:11:1: unknown key \"when\" in workload.script[0]"},
      {with_head("[expect]\nlost_update = 0\n"),
       "t.toml:8:1: unknown key \"lost_update\" in [expect]; did you mean \"lost_updates\"?"},
      {"[scenario]\nname = \"t\"\n[herd]\ngenerate = { kind = \"ring\", n = 5, k = 2 }\n",
       "t.toml:4:36: unknown key \"k\" in herd.generate (ring); expected one of: kind, connected, "
       "n"},
  });
}

TEST_CASE("scenario errors: wrong types say what was expected and what was found") {
  check_cases({
      {"[scenario]\nname = 5\n", "t.toml:2:8: scenario.name: expected a string, got the integer 5"},
      {"[scenario]\nname = \"t\"\nduration = 120\n",
       "t.toml:3:12: scenario.duration: expected a duration string such as \"1.5s\" or \"250ms\", "
       "got the integer 120"},
      {"[scenario]\nname = \"t\"\nseed = -1\n",
       "t.toml:3:8: scenario.seed: expected an integer of at least 0, got the integer -1"},
      {"[scenario]\nname = \"t\"\nseed = \"12x\"\n",
       "t.toml:3:8: scenario.seed: expected an integer from 0 to 18446744073709551615"},
      {"[scenario]\nname = \"t\"\nepoch = 1.5\n",
       "t.toml:3:9: scenario.epoch: expected an integer from 0 to 6700492036, got the number 1.5"},
      {"scenario = 3\n", "t.toml:1:12: scenario: expected a table, got the integer 3"},
      {with_head("[workload]\nclients = \"many\"\n"),
       "t.toml:8:11: workload.clients: expected an integer from 0 to 10000000, got the string "
       "\"many\""},
      {with_head("[workload]\nclients = 1\nattach = \"nearest\"\n"),
       "t.toml:9:10: workload.attach: expected \"random\", \"round_robin\" or \"sticky_random\""},
      {with_head("[network]\nordering = \"lifo\"\n"),
       "t.toml:8:12: network.ordering: expected \"fifo\" or \"reorder\", got \"lifo\""},
      {with_head("[network]\nlatency = 5\n"),
       "t.toml:8:11: network.latency: expected a distribution such as { dist = \"lognormal\""},
      {with_head("[expect]\nmin_reach = 1.5\n"),
       "t.toml:8:13: expect.min_reach: expected a number from 0 to 1, got the number 1.5"},
      {with_head("[[faults]]\nat = \"1s\"\ncrash = \"A\"\namnesia = \"yes\"\n"),
       "t.toml:10:11: faults[0].amnesia: expected true or false, got the string \"yes\""},
      {with_head("[workload]\nclients = 1\nwhatsat = { rate = \"1/s\", radius_km = 60 }\n"),
       "t.toml:9:39: workload.whatsat.radius_km: expected a number from 0 to 50"},
      {with_head("[workload]\nclients = 1\nwhatsat = { rate = \"1/s\", bound = 21 }\n"),
       "t.toml:9:35: workload.whatsat.bound: expected an integer from 1 to 20"},
      {with_head("[workload]\nmobility = { box = [33.5, -119.0, 34.5] }\n"),
       "t.toml:8:20: workload.mobility.box: expected [lat_min, lng_min, lat_max, lng_max]"},
      {with_head("[workload]\nmobility = { box = [34.5, -119.0, 33.5, -117.5] }\n"),
       "t.toml:8:20: workload.mobility.box: the maximum corner"},
      {"faults = [1]\n" + std::string(scenario_test::kHead),
       "t.toml:1:11: faults[0]: expected a table, got the integer 1"},
  });
}

TEST_CASE("scenario errors: negative or malformed durations and rates are caught at the value") {
  check_cases({
      {"[scenario]\nname = \"t\"\nduration = \"-5s\"\n",
       "t.toml:3:12: scenario.duration: must not be negative, got \"-5s\""},
      {"[scenario]\nname = \"t\"\nduration = \"0s\"\n",
       "t.toml:3:12: scenario.duration: must be at least 1ns, got \"0s\""},
      {"[scenario]\nname = \"t\"\nduration = \"2 minutes\"\n",
       "t.toml:3:12: scenario.duration: expected a duration such as \"1.5s\" or \"250ms\" (a "
       "number "
       "and one of ns us ms s m h), got \"2 minutes\" (unknown unit \" minutes\")"},
      {"[scenario]\nname = \"t\"\nsample_every = \"0.1ns\"\n",
       "t.toml:3:16: scenario.sample_every: expected a duration"},
      {with_head("[network]\nreconnect = \"1.5\"\n"),
       "t.toml:8:13: network.reconnect: expected a duration such as \"1.5s\" or \"250ms\" (a "
       "number "
       "and one of ns us ms s m h), got \"1.5\" (the unit is missing)"},
      {with_head("[workload]\nclients = 5\niamat = { rate = \"-3/s\" }\n"),
       "t.toml:9:18: workload.iamat.rate: must not be negative, got \"-3/s\""},
      {with_head("[workload]\nclients = 5\niamat = { rate = \"3 per second\" }\n"),
       "t.toml:9:18: workload.iamat.rate: expected a rate such as \"200/s\""},
      {with_head("[workload]\nclients = 5\niamat = { rate = -3 }\n"),
       "t.toml:9:18: workload.iamat.rate: expected a number from 0 to"},
      {with_head("[workload]\niamat = { rate = \"3/s\" }\n"),
       "t.toml:8:18: workload.iamat.rate: requests need clients"},
      {with_head("[workload]\nclients = 1\nmobility = { speed = \"fast\" }\n"),
       "t.toml:9:22: workload.mobility.speed: expected a speed such as \"1.5m/s\""},
      {with_head("[[faults]]\nat = \"1s\"\nclock = { server = \"A\", skew = \"-x\" }\n"),
       "t.toml:9:32: faults[0].clock.skew: expected a duration such as"},
      {with_head("[[faults]]\nat = \"61s\"\ncrash = \"A\"\n"),
       "t.toml:8:6: faults[0].at: 61s is after the scenario ends (scenario.duration = 1m)"},
      {with_head("[workload]\nstart = \"30s\"\nend = \"20s\"\n"),
       "t.toml:8:9: workload.start: 30s leaves no time before the end (20s)"},
      {with_head("[random_faults]\nwithin = [\"10s\", \"5s\"]\n"),
       "t.toml:8:18: random_faults.within: the end must come after the start"},
      {with_head("[random_faults]\ncrashes = 2\n"),
       "t.toml:7:1: missing required key random_faults.max_duration"},
  });
}

TEST_CASE("scenario errors: unknown distributions and generators list the known ones") {
  check_cases({
      {with_head("[network]\nlatency = { dist = \"gamma\", k = 2 }\n"),
       "t.toml:8:20: network.latency.dist: unknown distribution \"gamma\"; expected one of: "
       "constant, uniform, normal, lognormal, exponential, pareto, empirical"},
      {"[scenario]\nname = \"t\"\n[herd]\ngenerate = { kind = \"hypercube\", n = 8 }\n",
       "t.toml:4:21: herd.generate.kind: unknown generator \"hypercube\"; expected one of: line, "
       "ring, star, complete, grid, tree, erdos_renyi, watts_strogatz, barabasi_albert, "
       "random_regular"},
  });
}

TEST_CASE("scenario errors: missing required parameters are reported at their table") {
  check_cases({
      {"[herd]\nservers = [\"A\"]\n",
       "t.toml:1:1: missing required key scenario (the scenario's name, seed and duration)"},
      {"[scenario]\nseed = 1\n", "t.toml:1:1: missing required key scenario.name"},
      {"[scenario]\nname = \"t\"\n", "t.toml:1:1: missing required key herd"},
      {"[scenario]\nname = \"t\"\n[herd]\nstrategy = \"flood\"\n",
       "t.toml:3:1: [herd] needs one of: servers (with friends), generate, file, config"},
      {with_head("[network]\nlatency = { dist = \"lognormal\", median = \"20ms\" }\n"),
       "t.toml:8:11: network.latency: a lognormal distribution needs median, sigma; sigma is "
       "missing"},
      {with_head("[network]\nlatency = { median = \"20ms\" }\n"),
       "t.toml:8:11: missing required key network.latency.dist"},
      {"[scenario]\nname = \"t\"\n[herd]\ngenerate = { kind = \"tree\", n = 7 }\n",
       "t.toml:4:12: herd.generate: tree needs n, k; k is missing"},
      {with_head("[[network.links]]\nbetween = [\"A\", \"B\"]\n"),
       "t.toml:7:1: network.links[0]: a link override needs latency, loss or both"},
      {with_head("[[network.links]]\nfrom = \"A\"\nlatency = \"1ms\"\n"),
       "t.toml:7:1: network.links[0]: a link needs between"},
      {with_head("[[faults]]\ncrash = \"A\"\n"),
       "t.toml:7:1: missing required key faults[0].at (when the fault starts)"},
      {with_head("[[faults]]\nat = \"1s\"\nfor = \"2s\"\n"),
       "t.toml:7:1: faults[0]: a fault needs one of: crash, pause, partition, one_way, clog, "
       "latency, clock"},
      {with_head("[[faults]]\nat = \"1s\"\none_way = { from = \"A\" }\n"),
       "t.toml:9:11: missing required key faults[0].one_way.to"},
      {with_head("[[faults]]\nat = \"1s\"\nclock = { server = \"A\" }\n"),
       "t.toml:9:9: faults[0].clock: a clock fault needs skew, drift_ppm or both"},
      {with_head("[[workload.script]]\nat = \"1s\"\nserver = \"A\"\n"),
       "t.toml:7:1: missing required key workload.script[0].line"},
  });
}

TEST_CASE("scenario errors: loss is a probability from 0 up to, not including, 1") {
  check_cases({
      {with_head("[network]\nloss = 1\n"),
       "t.toml:8:8: network.loss: expected a probability below 1, got the integer 1 (a link "
       "that loses every line is a one_way fault)"},
      {with_head("[network]\nloss = -0.1\n"),
       "t.toml:8:8: network.loss: expected a number from 0 to 1, got the number -0.1"},
      {with_head("[network]\nloss = \"5%\"\n"),
       "t.toml:8:8: network.loss: expected a number from 0 to 1, got the string \"5%\""},
      {with_head("[[network.links]]\nbetween = [\"A\", \"B\"]\nloss = 1.0\n"),
       "t.toml:9:8: network.links[0].loss: expected a probability below 1"},
      {with_head("[[network.links]]\nfrom = \"A\"\nto = \"B\"\nloss = 2\n"),
       "t.toml:10:8: network.links[0].loss: expected a number from 0 to 1"},
      {with_head("[[network.links]]\nbetween = [\"A\", \"B\"]\nlos = 0.1\n"),
       "t.toml:9:1: unknown key \"los\" in network.links[0]; did you mean \"loss\"?"},
  });
  // Just below 1 is a probability.
  CHECK_NOTHROW(parse_scenario(with_head("[network]\nloss = 0.999999\n"), "t.toml"));
}

TEST_CASE("scenario errors: names that are not servers of an explicit herd") {
  check_cases({
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"Bailey\", \"Bona\"]\nfriends = "
       "[[\"Bailey\", \"Bonna\"]]\n",
       "t.toml:5:23: herd.friends[0][1]: \"Bonna\" is not a server of this herd; did you mean "
       "\"Bona\"? servers: Bailey, Bona"},
      {with_head("[[faults]]\nat = \"1s\"\ncrash = [\"A\", \"D\"]\n"),
       "t.toml:9:15: faults[0].crash[1]: \"D\" is not a server of this herd"},
      {with_head("[[faults]]\nat = \"1s\"\npartition = [[\"A\"], [\"B\", \"X\"]]\n"),
       "t.toml:9:27: faults[0].partition[1][1]: \"X\" is not a server of this herd; servers: A, B, "
       "C"},
      {with_head("[[faults]]\nat = \"1s\"\nlatency = { between = [\"A\", \"Q\"], value = \"1ms\", "
                 "dist = \"constant\" }\n"),
       "t.toml:9:29: faults[0].latency.between[1]: \"Q\" is not a server of this herd"},
      {with_head("[[network.links]]\nfrom = \"A\"\nto = \"Z\"\nlatency = \"1ms\"\n"),
       "t.toml:9:6: network.links[0].to: \"Z\" is not a server of this herd"},
      {with_head(
           "[[workload.script]]\nat = \"1s\"\nserver = \"Nobody\"\nline = \"IAMAT a +1+1 1\"\n"),
       "t.toml:9:10: workload.script[0].server: \"Nobody\" is not a server of this herd"},
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"A\"]\n",
       "t.toml:4:17: herd.servers[1]: server \"A\" is listed twice"},
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"B C\"]\n",
       "t.toml:4:17: herd.servers[1]: a server name cannot contain blanks"},
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"B\"]\nfriends = [[\"A\", \"A\"]]\n",
       "t.toml:5:12: herd.friends[0]: server \"A\" cannot befriend itself"},
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"B\"]\nfriends = [[\"A\", \"B\"], "
       "[\"B\", \"A\"]]\n",
       "t.toml:5:24: herd.friends[1]: B and A are already friends"},
      {with_head("[[faults]]\nat = \"1s\"\npartition = [[\"A\", \"B\"], [\"B\", \"C\"]]\n"),
       "t.toml:9:26: faults[0].partition[1]: \"B\" is already in another group"},
  });
}

TEST_CASE("scenario errors: a fault that is both crash and partition") {
  CHECK_THAT(error_of(with_head("[[faults]]\nat = \"30s\"\npartition = [[\"A\"], [\"B\"]]\n"
                                "crash = \"C\"\nfor = \"10s\"\n")),
             StartsWith("t.toml:10:1: faults[0]: a fault does one thing; this one is both "
                        "partition (line 9) and crash (write two [[faults]] entries)"));
}

TEST_CASE("scenario errors: fault options that do not fit the fault") {
  check_cases({
      {with_head("[[faults]]\nat = \"1s\"\npause = \"A\"\namnesia = true\n"),
       "t.toml:10:1: faults[0].amnesia: only a crash restarts with or without its state"},
      {with_head(
           "[[faults]]\nat = \"1s\"\nclock = { server = \"A\", drift_ppm = 5 }\nfor = \"1s\"\n"),
       "t.toml:10:1: faults[0].for: a clock fault lasts for the rest of the run"},
      {with_head("[[faults]]\nat = \"1s\"\npartition = [[\"A\", \"B\", \"C\"]]\n"),
       "t.toml:9:13: faults[0].partition: expected two or more groups of servers"},
  });
}

TEST_CASE("scenario errors: faults.random after faults entries points to random_faults") {
  CHECK_THAT(
      error_of(with_head("[[faults]]\nat = \"1s\"\ncrash = \"A\"\n[faults.random]\ncrashes = 1\n")),
      StartsWith("t.toml:10:9: faults[0]: a random fault schedule goes in its own "
                 "[random_faults] table"));
  CHECK_THAT(error_of(with_head("[faults.random]\ncrashes = 1\n")),
             StartsWith("t.toml:7:1: faults: expected [[faults]] entries, got a table"));
}

TEST_CASE("scenario errors: a herd given two ways and friends without servers") {
  check_cases({
      {"[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\"]\ngenerate = { kind = \"ring\", n = 3 "
       "}\n",
       "t.toml:5:1: herd.generate conflicts with herd.servers (line 4): give the herd one way"},
      {"[scenario]\nname = \"t\"\n[herd]\ngenerate = { kind = \"ring\", n = 3 }\nfriends = "
       "[[\"A\", \"B\"]]\n",
       "t.toml:5:1: herd.friends goes with herd.servers; herd.generate brings its own edges"},
  });
}

TEST_CASE("scenario errors: a bad line in an empirical latency file names that file and line") {
  TempDir dir;
  const auto samples = dir.write("rtt.txt", "# samples\n1ms\n\n  2.5ms  \nfast\n");
  const auto scenario = dir.write(
      "s.toml", with_head("[network]\nlatency = { dist = \"empirical\", file = \"rtt.txt\" }\n"));
  try {
    (void)load_scenario(scenario);
    FAIL("a bad sample was accepted");
  } catch (const ScenarioError& error) {
    CHECK(error.file == samples.string());
    CHECK(error.line == 5);
    CHECK(error.column == 1);
    CHECK_THAT(error.message, StartsWith("empirical latency sample: expected a duration"));
    CHECK_THAT(error.message, Contains("got \"fast\""));
  }
  dir.write("rtt.txt", "# only comments\n\n");
  CHECK_THAT(
      error_of(with_head("[network]\nlatency = { dist = \"empirical\", file = \"rtt.txt\" }\n"), {},
               scenario.string()),
      Contains("s.toml:8:40: network.latency.file: "));
  CHECK_THAT(
      error_of(with_head("[network]\nlatency = { dist = \"empirical\", file = \"none.txt\" }\n"),
               {}, scenario.string()),
      Contains("s.toml:8:40: network.latency.file: cannot read"));
}

TEST_CASE("scenario errors: an unreadable scenario file is named") {
  TempDir dir;
  try {
    (void)load_scenario(dir.path() / "missing.toml");
    FAIL("a missing file was loaded");
  } catch (const ScenarioError& error) {
    CHECK(error.file == (dir.path() / "missing.toml").string());
    CHECK(error.message == "cannot open the scenario file");
  }
}

TEST_CASE("scenario errors: rumor rounds and counter reset are checked at their value") {
  check_cases({
      {with_head("[strategy]\nrounds = \"lockstep\"\n"),
       "t.toml:8:10: strategy.rounds: expected \"async\" or \"sync\""},
      {with_head("[strategy]\nrounds = 1\n"),
       "t.toml:8:10: strategy.rounds: expected \"async\" or \"sync\""},
      {with_head("[strategy]\ncounter_reset = \"yes\"\n"),
       "t.toml:8:17: strategy.counter_reset: expected true or false"},
      {with_head("[strategy]\nfeedback = false\ncounter_reset = true\n"),
       "t.toml:9:17: strategy.counter_reset: needs feedback = true and loss = \"counter\""},
      {with_head("[strategy]\ncounter_reset = true\nloss = \"coin\"\n"),
       "t.toml:8:17: strategy.counter_reset: needs feedback = true and loss = \"counter\""},
  });
  // An override that makes the table contradictory points at the key as well.
  CHECK_THAT(error_of(with_head("[strategy]\ncounter_reset = true\n"), {"strategy.loss=coin"}),
             Contains("strategy.counter_reset: needs feedback = true"));
}

TEST_CASE("scenario errors: plumtree prune_after must be a positive integer") {
  check_cases({
      {with_head("[strategy]\nprune_after = 0\n"),
       "t.toml:8:15: strategy.prune_after: expected an integer >= 1"},
      {with_head("[strategy]\nprune_after = \"3\"\n"),
       "t.toml:8:15: strategy.prune_after: expected an integer >= 1"},
      {with_head("[strategy]\nprune_after = 2.5\n"),
       "t.toml:8:15: strategy.prune_after: expected an integer >= 1"},
  });
  CHECK_THAT(error_of(with_head("[strategy]\nprune_after = 2\n"), {"strategy.prune_after=-1"}),
             Contains("strategy.prune_after: expected an integer >= 1"));
}
