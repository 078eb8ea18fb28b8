#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "herd/sim/scenario_file.hpp"
#include "scenario_test_support.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using scenario_test::error_of;
using scenario_test::examples;
using scenario_test::repo_root;
using herd::testing::TempDir;

namespace {
constexpr Nanoseconds kMs = 1'000'000;

Scenario with_herd(const std::string& herd_lines, std::string_view source = "t.toml") {
  return parse_scenario("[scenario]\nname = \"h\"\n[herd]\n" + herd_lines, source);
}
}  // namespace

TEST_CASE("herd forms: watts_strogatz generator with every parameter") {
  const Scenario s = with_herd(
      "generate = { kind = \"watts_strogatz\", n = 200, k = 4, p = 0.1, connected = false }\n"
      "strategy = \"flood\"\n");
  CHECK(s.topology.kind == TopologySpec::Kind::generated);
  CHECK(s.topology.generator == "watts_strogatz");
  CHECK(s.topology.n == 200);
  CHECK(s.topology.k == 4);
  CHECK(s.topology.p == 0.1);
  CHECK_FALSE(s.topology.ensure_connected);
  CHECK(s.topology.servers.empty());
}

TEST_CASE("herd forms: each generator takes its own parameters") {
  CHECK(with_herd("generate = { kind = \"line\", n = 5 }").topology.n == 5);
  CHECK(with_herd("generate = { kind = \"ring\", n = 3 }").topology.generator == "ring");
  CHECK(with_herd("generate = { kind = \"star\", n = 9 }").topology.n == 9);
  CHECK(with_herd("generate = { kind = \"complete\", n = 4 }").topology.ensure_connected);
  const Scenario grid =
      with_herd("generate = { kind = \"grid\", rows = 3, cols = 4, torus = true }");
  CHECK(grid.topology.rows == 3);
  CHECK(grid.topology.cols == 4);
  CHECK(grid.topology.n == 12);
  CHECK(grid.topology.torus);
  const Scenario tree = with_herd("generate = { kind = \"tree\", n = 15, k = 2 }");
  CHECK(tree.topology.n == 15);
  CHECK(tree.topology.k == 2);
  CHECK(with_herd("generate = { kind = \"erdos_renyi\", n = 50, p = 0.2 }").topology.p == 0.2);
  CHECK(with_herd("generate = { kind = \"barabasi_albert\", n = 50, m = 2 }").topology.m == 2);
  CHECK(with_herd("generate = { kind = \"random_regular\", n = 10, degree = 3 }").topology.degree ==
        3);
  // The table form of the same thing.
  CHECK(with_herd("[herd.generate]\nkind = \"ring\"\nn = 6\n").topology.n == 6);
}

TEST_CASE("herd forms: generator parameters outside their range are errors at the value") {
  CHECK_THAT(error_of("[scenario]\nname = \"h\"\n[herd]\n"
                      "generate = { kind = \"watts_strogatz\", n = 10, k = 3, p = 0.1 }\n"),
             StartsWith("t.toml:4:51: herd.generate.k: watts_strogatz needs an even k"));
  CHECK_THAT(error_of("[scenario]\nname = \"h\"\n[herd]\n"
                      "generate = { kind = \"erdos_renyi\", n = 10, p = 1.5 }\n"),
             StartsWith("t.toml:4:48: herd.generate.p: expected a number from 0 to 1"));
  CHECK_THAT(error_of("[scenario]\nname = \"h\"\n[herd]\n"
                      "generate = { kind = \"random_regular\", n = 5, degree = 3 }\n"),
             StartsWith("t.toml:4:55: herd.generate.degree: n x degree must be even"));
  CHECK_THAT(error_of("[scenario]\nname = \"h\"\n[herd]\n"
                      "generate = { kind = \"ring\", n = 2 }\n"),
             StartsWith("t.toml:4:33: herd.generate.n: expected an integer from 3 to 1000000"));
  CHECK_THAT(error_of("[scenario]\nname = \"h\"\n[herd]\n"
                      "generate = { kind = \"barabasi_albert\", n = 5, m = 5 }\n"),
             StartsWith("t.toml:4:51: herd.generate.m: expected an integer from 1 to 4"));
}

TEST_CASE("herd forms: a graph file is resolved against the scenario folder") {
  TempDir dir;
  dir.write("graphs/backbone.dot", "graph { a -- b; b -- c; }\n");
  const auto scenario =
      dir.write("s.toml", "[scenario]\nname = \"f\"\n[herd]\nfile = \"graphs/backbone.dot\"\n");
  const Scenario s = load_scenario(scenario);
  CHECK(s.topology.kind == TopologySpec::Kind::file);
  CHECK(s.topology.path == (dir.path() / "graphs" / "backbone.dot").generic_string());

  const auto missing =
      dir.write("m.toml", "[scenario]\nname = \"f\"\n[herd]\nfile = \"graphs/nope.dot\"\n");
  try {
    (void)load_scenario(missing);
    FAIL("a missing graph file was accepted");
  } catch (const ScenarioError& error) {
    CHECK(error.file == missing.string());
    CHECK(error.line == 4);
    CHECK(error.column == 8);
    CHECK_THAT(error.message, StartsWith("herd.file: no such file"));
    CHECK_THAT(error.message, Contains("graphs/nope.dot"));
  }
}

TEST_CASE("herd forms: a live herd config brings its servers and friends") {
  const Scenario s =
      with_herd("config = \"../herds/winter2023.toml\"\n", (examples() / "inline.toml").string());
  CHECK(s.topology.kind == TopologySpec::Kind::explicit_edges);
  CHECK(s.topology.servers ==
        std::vector<std::string>{"Bailey", "Bona", "Campbell", "Clark", "Jaquez"});
  REQUIRE(s.topology.friends.size() == 6);
  CHECK(s.topology.friends[2] == std::pair<std::string, std::string>{"Campbell", "Bailey"});
}

TEST_CASE("herd forms: names in a config herd are checked like an explicit herd") {
  const std::string source = (examples() / "inline.toml").string();
  CHECK_THAT(error_of("[scenario]\nname = \"h\"\n[herd]\nconfig = \"../herds/winter2023.toml\"\n"
                      "[[faults]]\nat = \"1s\"\ncrash = \"Campbel\"\n",
                      {}, source),
             Contains(":7:9: faults[0].crash: \"Campbel\" is not a server of this herd; "
                      "did you mean \"Campbell\"?"));
}

TEST_CASE("herd forms: errors inside a herd config name that file and position") {
  TempDir dir;
  const auto config = dir.write("herd.toml",
                                "[herd]\nfriends = [[\"A\", \"Z\"]]\n"
                                "[[servers]]\nname = \"A\"\n[[servers]]\nname = \"B\"\n");
  const auto scenario =
      dir.write("s.toml", "[scenario]\nname = \"c\"\n[herd]\nconfig = \"herd.toml\"\n");
  try {
    (void)load_scenario(scenario);
    FAIL("a config with an unknown friend was accepted");
  } catch (const ScenarioError& error) {
    CHECK(error.file == config.generic_string());
    CHECK(error.line == 2);
    CHECK(error.column == 18);
    CHECK_THAT(error.message, StartsWith("herd.friends[0][1]: \"Z\" is not a server of this herd"));
  }
  dir.write("broken.toml", "[[servers]]\nname = \"A\n");
  CHECK_THAT(error_of("[scenario]\nname = \"c\"\n[herd]\nconfig = \"broken.toml\"\n", {},
                      (dir.path() / "s.toml").string()),
             Contains("broken.toml:2:"));
}

TEST_CASE("herd forms: a duration string is a constant latency and seeds may be strings") {
  const Scenario s = parse_scenario(
      "[scenario]\nname = \"d\"\nseed = \"18446744073709551615\"\n"
      "[herd]\nservers = [\"A\"]\n[network]\nlatency = \"7ms\"\n",
      "t.toml");
  CHECK(s.network.latency.kind == DelayDistribution::Kind::constant);
  CHECK(s.network.latency.value_ns == 7 * kMs);
  CHECK(s.seed == 18'446'744'073'709'551'615ULL);
  CHECK(s.topology.friends.empty());
}

TEST_CASE("herd forms: places_db is resolved against the scenario folder and must exist") {
  TempDir dir;
  const auto db = dir.write("data/places.db", "not really sqlite, only needs to exist");
  const Scenario s = parse_scenario(
      "[scenario]\nname = \"p\"\nplaces_db = \"data/places.db\"\n[herd]\nservers = [\"A\"]\n",
      (dir.path() / "s.toml").string());
  CHECK(s.places_db == db.lexically_normal().generic_string());
  CHECK_THAT(
      error_of(
          "[scenario]\nname = \"p\"\nplaces_db = \"data/none.db\"\n[herd]\nservers = [\"A\"]\n", {},
          (dir.path() / "s.toml").string()),
      Contains("s.toml:3:13: scenario.places_db: no such file"));
}
