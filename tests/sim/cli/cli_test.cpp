// herd-sim's command line driven as a user would (run_cli with argv), on real scenario files
// in a scratch folder: exit codes, the table, the JUnit and JSON reports, folder recursion.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/cli.hpp"
#include "herd_test/temp_dir.hpp"
#include "cli_harness.hpp"
#include "xml_check.hpp"

using herd::testing::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

namespace {

using herd::testing::CliRun;
using herd::testing::herd_sim;

std::string read(const std::filesystem::path& file) { return herd::testing::read_file(file); }

// A three-server herd for two virtual seconds: runs in milliseconds.
std::string scenario(const std::string& name, const std::string& expect) {
  return "[scenario]\nname = \"" + name +
         "\"\nduration = \"2s\"\n"
         "[herd]\nservers = [\"A\", \"B\", \"C\"]\nfriends = [[\"A\", \"B\"], [\"B\", \"C\"]]\n"
         "[workload]\nclients = 3\niamat = { rate = \"5/s\" }\nend = \"1s\"\n" +
         expect;
}

const std::string kPasses = "[expect]\nmax_ldh = 100\nmin_reach = 0.0\n";
// No update reaches another server within a nanosecond.
const std::string kFails = "[expect]\nmax_ldh = 100\npropagation_p99 = \"1ns\"\n";

}  // namespace

TEST_CASE("cli check: a passing scenario exits 0 and is one passing testcase") {
  TempDir dir;
  const auto file = dir.write("ok.toml", scenario("ok", kPasses));
  const auto junit = dir.path() / "junit.xml";
  CliRun run = herd_sim({"check", file.string(), "-q", "--junit", junit.string()});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("pass "));
  CHECK_THAT(run.out, Contains("1 scenario: 1 passed, 0 failed"));
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK(xml.count("testsuite") == 1);
  CHECK(xml.count("testcase") == 1);
  CHECK(xml.count("failure") == 0);
  CHECK(xml.attribute("testsuite", "tests") == "1");
  CHECK(xml.attribute("testsuite", "failures") == "0");
}

TEST_CASE("cli check: a failed expectation exits 1 with a hint that reproduces the check") {
  TempDir dir;
  const auto file = dir.write("bad.toml", scenario("bad", kFails));
  const auto junit = dir.path() / "junit.xml";
  CliRun run = herd_sim({"check", file.string(), "-q", "--seed", "7", "--set",
                         "workload.clients=4", "--junit", junit.string()});
  CHECK(run.code == 1);
  CHECK_THAT(run.out, Contains("FAIL "));
  CHECK_THAT(run.out, Contains("propagation_p99: expected <= 0.000001ms, got "));
  // The hint names check (which checks [expect] again), the seed and the overrides.
  CHECK_THAT(run.out, Contains("reproduce with: herd-sim check " + file.string() +
                               " --seed 7 --set workload.clients=4"));
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK(xml.attribute("testsuite", "failures") == "1");
  CHECK(xml.count("failure") == 1);
  CHECK_THAT(xml.attribute("failure", "message"), Contains("expected <= 0.000001ms, got"));
}

TEST_CASE("cli check: a broken file exits 2 and is a JUnit error with its position") {
  TempDir dir;
  const auto file = dir.write("broken.toml", "[scenario]\nname = \"x\"\nseed = \n");
  const auto junit = dir.path() / "junit.xml";
  CliRun run = herd_sim({"check", file.string(), "-q", "--junit", junit.string()});
  CHECK(run.code == 2);
  CHECK_THAT(run.out, Contains(file.string() + ":3:8: TOML syntax error"));
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK(xml.attribute("testsuite", "errors") == "1");
  CHECK(xml.count("error") == 1);
}

TEST_CASE("cli check: a scenario without [expect] is reported, and fails only on request") {
  TempDir dir;
  const auto file = dir.write("plain.toml", scenario("plain", ""));
  CliRun run = herd_sim({"check", file.string(), "-q"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("no-expect"));
  CHECK_THAT(run.out, Contains("0 passed, 0 failed, 1 without expectations"));
  const auto junit = dir.path() / "junit.xml";
  run = herd_sim({"check", file.string(), "-q", "--require-expect", "--junit", junit.string()});
  CHECK(run.code == 1);
  CHECK_THAT(run.out, Contains("reproduce with: herd-sim check " + file.string() +
                               " --seed 1 --require-expect"));
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK(xml.attribute("testsuite", "failures") == "1");
  CHECK(xml.count("skipped") == 0);
}

TEST_CASE("cli check: folders are searched recursively for scenario files only") {
  TempDir dir;
  dir.write("suite/a.toml", scenario("a", kPasses));
  dir.write("suite/deeper/still/b.toml", scenario("b", kPasses));
  dir.write("suite/deeper/c.toml", scenario("c", ""));
  // Not scenarios: a herd config, a sweep file, other files.
  dir.write("suite/herds/h.toml", "[herd]\nname = \"h\"\n[[servers]]\nname = \"A\"\n");
  dir.write("suite/sweeps/s.toml", "[sweep]\nname = \"s\"\nscenarios = [\"../a.toml\"]\n");
  dir.write("suite/notes.txt", "[scenario]\n");
  const auto junit = dir.path() / "junit.xml";
  const auto json = dir.path() / "report.json";
  CliRun run = herd_sim({"check", (dir.path() / "suite").string(), "-q", "--junit",
                         junit.string(), "--json", json.string()});
  CHECK(run.code == 0);
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK(xml.attribute("testsuite", "tests") == "3");
  CHECK(xml.attribute("testsuite", "skipped") == "1");
  CHECK(xml.count("testcase") == 3);
  const std::string report = read(json);
  CHECK_THAT(report, Contains("\"exit_code\": 0"));
  CHECK_THAT(report, Contains("\"scenarios\": 3, \"passed\": 2"));
  CHECK_THAT(report, Contains("\"status\": \"no-expectations\""));

  // --set takes one value: the next argument is a path again.
  run = herd_sim({"check", (dir.path() / "suite" / "a.toml").string(), "--set",
                  "workload.clients=4", (dir.path() / "suite" / "deeper" / "c.toml").string(),
                  "-q"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("2 scenarios:"));

  // The same file named twice (folder and file) runs once.
  run = herd_sim({"check", (dir.path() / "suite").string(),
                  (dir.path() / "suite" / "a.toml").string(), "-q"});
  CHECK_THAT(run.out, Contains("3 scenarios:"));
}

TEST_CASE("cli check: a folder without scenarios, a missing path and a non-scenario file are "
          "errors") {
  TempDir dir;
  dir.write("herds/h.toml", "[herd]\nname = \"h\"\n[[servers]]\nname = \"A\"\n");
  const auto sweep = dir.write("s.toml", "[sweep]\nname = \"s\"\n");
  CliRun run = herd_sim({"check", (dir.path() / "herds").string(), "-q"});
  CHECK(run.code == 2);
  CHECK_THAT(run.out, Contains("no scenario files in this folder (1 .toml files, none with a "
                               "[scenario] table)"));
  // Not "missing required key scenario" at 1:1 of a folder.
  CHECK_THAT(run.out, !Contains("missing required key"));
  run = herd_sim({"check", (dir.path() / "nothing-here").string(), "-q"});
  CHECK(run.code == 2);
  CHECK_THAT(run.out, Contains("no such file or folder"));
  run = herd_sim({"check", sweep.string(), "-q"});
  CHECK(run.code == 2);
  CHECK_THAT(run.out, Contains("a sweep file, not a scenario"));
}

TEST_CASE("cli check: several outcomes together give the highest exit code and exact counts") {
  TempDir dir;
  dir.write("all/1-pass.toml", scenario("pass", kPasses));
  dir.write("all/2-fail.toml", scenario("fail", kFails));
  dir.write("all/3-broken.toml", "[scenario\n");
  dir.write("all/4-unknown-server.toml",
            scenario("unknown", "[[faults]]\nat = \"1s\"\ncrash = \"D\"\n"));
  // Names with characters XML and JSON must escape.
  dir.write("all/5-odd.toml", scenario("a<b> & \\\"c\\\" 'd'", kFails));
  const auto junit = dir.path() / "junit.xml";
  const auto json = dir.path() / "r.json";
  CliRun run = herd_sim({"check", (dir.path() / "all").string(), "-q", "--junit", junit.string(),
                         "--json", json.string()});
  CHECK(run.code == 2);
  CHECK_THAT(run.out, Contains("4-unknown-server.toml:13:9: faults[0].crash: \"D\" is not a server"));
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK(xml.attribute("testsuite", "tests") == "5");
  CHECK(xml.attribute("testsuite", "failures") == "2");
  CHECK(xml.attribute("testsuite", "errors") == "2");
  CHECK(xml.count("failure") == 2);
  CHECK(xml.count("error") == 2);
  CHECK_THAT(read(junit), Contains("name=\"a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;\""));
  CHECK_THAT(read(json), Contains("\"name\": \"a<b> & \\\"c\\\" 'd'\""));
}

TEST_CASE("cli: usage errors exit 2; --version ends its line; --help lists the exit codes") {
  CHECK(herd_sim({"check"}).code == 2);
  CHECK(herd_sim({"frobnicate"}).code == 2);
  CHECK(herd_sim({"check", "--no-such-flag", "x.toml"}).code == 2);
  CliRun version = herd_sim({"--version"});
  CHECK(version.code == 0);
  CHECK_THAT(version.out, EndsWith("\n"));
  CHECK_THAT(version.out, !EndsWith("\n\n"));
  CliRun help = herd_sim({"check", "--help"});
  CHECK(help.code == 0);
  CHECK_THAT(help.out, Contains("Exit codes: 0 all passed"));
  CHECK_THAT(help.out, Contains("3 --verify-determinism"));
}

TEST_CASE("cli topo: lists the servers' names, generated ones included") {
  TempDir dir;
  const auto file = dir.write(
      "g.toml", "[scenario]\nname = \"g\"\n[herd]\ngenerate = { kind = \"ring\", n = 12 }\n");
  CliRun run = herd_sim({"topo", file.string()});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("servers (12): s00 s01 s02 s03 s04 s05 s06 s07 s08 s09 s10 s11\n"));
  const auto big = dir.write(
      "big.toml", "[scenario]\nname = \"b\"\n[herd]\ngenerate = { kind = \"ring\", n = 1000 }\n");
  run = herd_sim({"topo", big.string()});
  CHECK_THAT(run.out, Contains("servers (1000): s000 s001"));
  CHECK_THAT(run.out, Contains("s023 ... s996 s997 s998 s999\n"));
  run = herd_sim({"topo", big.string(), "--names"});
  CHECK_THAT(run.out, Contains("s500 s501"));
}

TEST_CASE("cli run: counts print as integers and the speed as a factor") {
  TempDir dir;
  const auto file = dir.write("ok.toml", scenario("ok", kPasses));
  CliRun run = herd_sim({"run", file.string(), "-q", "--no-db"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, !Contains(".0000\n  peer_messages"));
  CHECK_THAT(run.out, Contains("wall ("));
  CHECK_THAT(run.out, !Contains("(0x)"));
  // "  updates   <integer>" with no decimals.
  const auto at = run.out.find("  updates ");
  REQUIRE(at != std::string::npos);
  const std::string row = run.out.substr(at, run.out.find('\n', at) - at);
  CHECK(row.find('.') == std::string::npos);
}

TEST_CASE("cli report: shows each run's strategy and overrides") {
  TempDir dir;
  const auto file = dir.write("ok.toml", scenario("ok", kPasses));
  const auto db = (dir.path() / "r.db").string();
  REQUIRE(herd_sim({"run", file.string(), "-q", "--db", db, "--set", "herd.strategy=gossip"}).code ==
          0);
  REQUIRE(herd_sim({"check", file.string(), "-q", "--db", db}).code == 0);
  CliRun run = herd_sim({"report", "--db", db});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("strategy"));
  CHECK_THAT(run.out, Contains("overrides"));
  CHECK_THAT(run.out, Contains(" gossip "));
  CHECK_THAT(run.out, Contains("--set herd.strategy=gossip\n"));
  CHECK_THAT(run.out, Contains(" flood "));
}
