// Server names of generated and file herds are checked where the scenario is read, with a
// position, like those of explicit herds.
#include <catch2/catch.hpp>
#include <string>

#include "herd/sim/scenario_file.hpp"
#include "scenario_test_support.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using herd::testing::TempDir;
using scenario_test::error_of;

namespace {
constexpr std::string_view kGeneratedHead =
    "[scenario]\n"
    "name = \"g\"\n"
    "duration = \"60s\"\n"
    "[herd]\n"
    "generate = { kind = \"ring\", n = 12 }\n";
}  // namespace

TEST_CASE("server names: a generated herd's servers are s00.. and a fault naming another fails "
          "at its position") {
  const std::string head(kGeneratedHead);
  const Scenario ok = parse_scenario(head + "[[faults]]\nat = \"1s\"\ncrash = \"s11\"\n", "t.toml");
  REQUIRE(ok.faults.size() == 1);
  CHECK_THAT(error_of(head + "[[faults]]\nat = \"1s\"\ncrash = \"s12\"\n"),
             StartsWith("t.toml:8:9: faults[0].crash: \"s12\" is not a server of this herd"));
  // The unpadded name is a common guess; the message shows the real ones.
  CHECK_THAT(error_of(head + "[[faults]]\nat = \"1s\"\ncrash = \"s1\"\n"),
             Contains("servers: s00, s01, s02"));
  CHECK_THAT(error_of(head + "[[network.links]]\nbetween = [\"s00\", \"Alpha\"]\nlatency = \"1ms\"\n"),
             StartsWith("t.toml:7:19: network.links[0].between"));
}

TEST_CASE("server names: a herd from a graph file checks names against the file") {
  TempDir dir;
  dir.write("g.txt", "a b\nb c\n");
  const auto scenario = dir.write(
      "s.toml",
      "[scenario]\nname = \"f\"\n[herd]\nfile = \"g.txt\"\n[[faults]]\nat = \"1s\"\ncrash = \"d\"\n");
  try {
    (void)load_scenario(scenario);
    FAIL("a fault on a server the file does not have was accepted");
  } catch (const ScenarioError& error) {
    CHECK(error.line == 7);
    CHECK(error.column == 9);
    CHECK_THAT(error.message, StartsWith("faults[0].crash: \"d\" is not a server of this herd"));
  }
}


TEST_CASE("server names: names out of alphabetical order are each found, and only they") {
  TempDir dir;
  dir.write("g.txt", "zulu alpha\nalpha mike\nmike delta\n");
  const std::string head = "[scenario]\nname = \"f\"\n[herd]\nfile = \"g.txt\"\n";
  std::string faults;
  for (const char* name : {"mike", "zulu", "delta", "alpha"}) {
    faults += std::string("[[faults]]\nat = \"1s\"\ncrash = \"") + name + "\"\n";
  }
  const Scenario ok = load_scenario(dir.write("ok.toml", head + faults));
  CHECK(ok.faults.size() == 4);
  for (const char* stranger : {"bravo", "zz", "a", "alphaa", "mik"}) {
    const auto path = dir.write("bad.toml", head + "[[faults]]\nat = \"1s\"\ncrash = \"" +
                                                stranger + "\"\n");
    CHECK_THROWS_WITH(load_scenario(path), Contains("is not a server of this herd"));
  }
}
