// `herd-sim check` over several seeds ([expect] seeds, --seeds, [expect.across_seeds]) and
// against golden results (--update-golden, NAME.golden.toml), driven as a user would.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/cli.hpp"
#include "herd/sim/expectations.hpp"
#include "herd/sim/golden.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd_test/temp_dir.hpp"
#include "cli_harness.hpp"
#include "xml_check.hpp"

using herd::testing::TempDir;
using Catch::Matchers::Contains;
using namespace herd::sim;

namespace {

using herd::testing::CliRun;
using herd::testing::herd_sim;

std::string read(const std::filesystem::path& file) { return herd::testing::read_file(file); }

// A three-server herd for two virtual seconds: runs in milliseconds.
std::string scenario(const std::string& name, const std::string& expect) {
  return "[scenario]\nname = \"" + name +
         "\"\nduration = \"2s\"\nseed = 5\n"
         "[herd]\nservers = [\"A\", \"B\", \"C\"]\nfriends = [[\"A\", \"B\"], [\"B\", \"C\"]]\n"
         "[workload]\nclients = 3\niamat = { rate = \"5/s\" }\nend = \"1s\"\n" +
         expect;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

// --- quantiles ------------------------------------------------------------------------------

TEST_CASE("check seeds: quantiles are by nearest rank; never converged is infinity") {
  const std::vector<double> v{5, 1, 4, 2, 3};
  CHECK(nearest_rank_quantile(v, 0) == 1);
  CHECK(nearest_rank_quantile(v, 0.2) == 1);
  CHECK(nearest_rank_quantile(v, 0.5) == 3);
  CHECK(nearest_rank_quantile(v, 0.99) == 5);
  CHECK(nearest_rank_quantile(v, 1) == 5);
  CHECK(std::isnan(nearest_rank_quantile({}, 0.5)));
  CHECK(quantile_label(0.99) == "p99");
  CHECK(quantile_label(0.999) == "p99.9");

  Summary converged, never;
  converged.convergence_ns = 2'000'000;
  CHECK(seed_metric_value("convergence", converged) == 2e6);
  CHECK(std::isinf(seed_metric_value("convergence", never)));

  Expectations expect;
  expect.across_seeds.push_back({"convergence", 0.5, 3e6, true});
  auto results = check_across_seeds(expect, {converged, converged, never});
  REQUIRE(results.size() == 1);
  CHECK(results[0].passed);
  CHECK(results[0].name == "across_seeds.convergence");
  CHECK(results[0].expected == "p50 <= 3.000ms");
  expect.across_seeds[0].quantile = 0.99;
  results = check_across_seeds(expect, {converged, converged, never});
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].actual == "never converged (p99 of 3 seeds)");
}

TEST_CASE("check seeds: [expect.across_seeds] reads metrics, quantiles and limits") {
  const Scenario s = parse_scenario(
      scenario("q", "[expect]\nseeds = 4\n[expect.across_seeds]\n"
                    "propagation_p99 = { quantile = 0.9, max = \"250ms\" }\n"
                    "reach_min = { quantile = 0.1, min = 0.5 }\n"
                    "lost_updates = { quantile = 1, max = 0 }\n"),
      "q.toml");
  CHECK(s.expect.seeds == 4);
  REQUIRE(s.expect.across_seeds.size() == 3);
  CHECK(s.expect.across_seeds[0].metric == "propagation_p99");  // file order
  CHECK(s.expect.across_seeds[0].quantile == 0.9);
  CHECK(s.expect.across_seeds[0].limit == 250e6);
  CHECK(s.expect.across_seeds[0].at_most);
  CHECK(s.expect.across_seeds[1].metric == "reach_min");
  CHECK_FALSE(s.expect.across_seeds[1].at_most);
  CHECK(s.expect.across_seeds[2].limit == 0);
}

TEST_CASE("check seeds: bad [expect.across_seeds] entries are errors at their position") {
  const auto error_of = [](const std::string& expect) {
    try {
      (void)parse_scenario(scenario("bad", expect), "bad.toml");
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // The entries start on line 13 of scenario()'s text, after their table header.
  CHECK_THAT(error_of("[expect.across_seeds]\nconvergance = { quantile = 0.99, max = \"2s\" }\n"),
             Contains("bad.toml:13:1: unknown key \"convergance\" in [expect.across_seeds]") &&
                 Contains("did you mean \"convergence\""));
  CHECK_THAT(error_of("[expect.across_seeds]\nconvergence = { quantile = 0.99, min = \"2s\" }\n"),
             Contains("bad.toml:13:") && Contains("unknown key \"min\"") &&
                 Contains("expected one of: quantile, max"));
  CHECK_THAT(error_of("[expect.across_seeds]\nconvergence = { quantile = 1.5, max = \"2s\" }\n"),
             Contains("bad.toml:13:") && Contains("expect.across_seeds.convergence.quantile"));
  CHECK_THAT(error_of("[expect.across_seeds]\nconvergence = { max = \"2s\" }\n"),
             Contains("bad.toml:13:") && Contains("quantile"));
  CHECK_THAT(error_of("[expect.across_seeds]\nconvergence = \"2s\"\n"),
             Contains("bad.toml:13:15: expect.across_seeds.convergence: expected a table"));
  CHECK_THAT(error_of("[expect]\nseeds = 0\n"), Contains("bad.toml:13:9: expect.seeds"));
}

// --- several seeds --------------------------------------------------------------------------

TEST_CASE("check seeds: --seeds runs consecutive seeds and prints their spread") {
  TempDir dir;
  const auto file = dir.write("ok.toml", scenario("ok", "[expect]\nmax_ldh = 100\n"));
  const auto json = dir.path() / "check.json";
  const auto junit = dir.path() / "junit.xml";
  CliRun run = herd_sim({"check", file.string(), "-q", "--seeds", "3", "--json", json.string(),
                         "--junit", junit.string()});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("seeds 5..7 (min / median / max): p99 ms "));
  const std::string report = read(json);
  CHECK_THAT(report, Contains("{\"seed\": 5, \"fingerprint\": "));
  CHECK_THAT(report, Contains("{\"seed\": 7, \"fingerprint\": "));
  CHECK_THAT(report, Contains("\"failed_seeds\": []"));
  const auto xml = xml_check::parse(read(junit));
  REQUIRE(xml.well_formed);
  CHECK_THAT(read(junit), Contains("<property name=\"seeds\" value=\"5 6 7\"/>"));
}

TEST_CASE("check seeds: [expect] seeds sets the count and --seeds wins") {
  TempDir dir;
  const auto file =
      dir.write("two.toml", scenario("two", "[expect]\nseeds = 2\nmax_ldh = 100\n"));
  const auto json = dir.path() / "check.json";
  CHECK(herd_sim({"check", file.string(), "-q", "--json", json.string()}).code == 0);
  CHECK(occurrences(read(json), "{\"seed\": ") == 2);
  CHECK(herd_sim({"check", file.string(), "-q", "--seeds", "4", "--json", json.string()}).code == 0);
  CHECK(occurrences(read(json), "{\"seed\": ") == 4);
  CHECK(herd_sim({"check", file.string(), "-q", "--seeds", "0"}).code == 2);
}

TEST_CASE("check seeds: a per-run expectation must hold in every seed; the hint names one") {
  TempDir dir;
  const auto file = dir.write(
      "fail.toml", scenario("fail", "[expect]\nmax_ldh = 100\npropagation_p99 = \"1ns\"\n"));
  const auto json = dir.path() / "check.json";
  CliRun run = herd_sim({"check", file.string(), "-q", "--seed", "10", "--seeds", "3", "--json",
                         json.string()});
  CHECK(run.code == 1);
  CHECK_THAT(run.out, Contains("propagation_p99: expected <= 0.000001ms, got seed 10: "));
  CHECK_THAT(run.out, Contains("failed in seeds 10 11 12 of seeds 10..12"));
  CHECK_THAT(run.out, Contains("reproduce with: herd-sim check " + file.string() +
                               " --seed 10 --seeds 1"));
  CHECK_THAT(read(json), Contains("\"failed_seeds\": [10, 11, 12]"));
  CHECK_THAT(read(json), Contains("\"failed\": [\"propagation_p99\"]"));
  // max_ldh held everywhere.
  CHECK_THAT(read(json), Contains("\"actual\": \"held in all 3 seeds\""));
}

TEST_CASE("check seeds: quantile expectations pass and fail across seeds") {
  TempDir dir;
  const auto passing = dir.write(
      "p.toml", scenario("p", "[expect]\nseeds = 3\n[expect.across_seeds]\n"
                              "convergence = { quantile = 0.99, max = \"1h\" }\n"
                              "reach_min = { quantile = 0, min = 0.0 }\n"));
  CliRun ok = herd_sim({"check", passing.string(), "-q"});
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Contains(" 2/2 "));
  const auto failing = dir.write(
      "f.toml", scenario("f", "[expect]\nseeds = 3\n[expect.across_seeds]\n"
                              "propagation_p99 = { quantile = 0.5, max = \"1ns\" }\n"));
  CliRun bad = herd_sim({"check", failing.string(), "-q"});
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out, Contains("across_seeds.propagation_p99: expected p50 <= 0.000001ms, got "));
  CHECK_THAT(bad.out, Contains("(p50 of 3 seeds)"));
  // No single seed failed: the hint repeats the whole check.
  CHECK_THAT(bad.out, Contains("reproduce with: herd-sim check " + failing.string() +
                               " --seed 5 --seeds 3"));
}

// --- golden results -------------------------------------------------------------------------

TEST_CASE("check golden: the file format is stable, exact and reads back") {
  Golden g;
  g.scenario = "s";
  g.overrides = {"workload.clients=3"};
  g.runs.push_back({7, "00000000000000aa", {{"zeta", 0.1}, {"alpha", 2339}}});
  g.runs.push_back({6, "00000000000000bb", {{"inf_ms", std::numeric_limits<double>::infinity()}}});
  std::ostringstream a, b;
  write_golden(a, g);
  write_golden(b, g);
  CHECK(a.str() == b.str());
  const std::string text = a.str();
  CHECK(text.find("seed = \"6\"") < text.find("seed = \"7\""));  // runs in seed order
  CHECK(text.find("alpha = 2339") < text.find("zeta = 0.1\n"));  // metrics in name order
  CHECK(golden_number(0.1) == "0.1");
  CHECK(std::stod(golden_number(1.0 / 3)) == 1.0 / 3);

  TempDir dir;
  const auto file = dir.write("s.golden.toml", text);
  const Golden back = read_golden(file);
  CHECK(golden_drift(g, back).empty());
  CHECK(golden_path_for("x/y/name.toml") == std::filesystem::path("x/y/name.golden.toml"));

  Golden changed = back;
  for (auto& [name, value] : changed.runs[1].metrics) {  // seed 7 (runs read in seed order)
    if (name == "zeta") value = 0.11;
  }
  changed.runs[0].fingerprint = "00000000000000cc";
  const auto drift = golden_drift(g, changed);
  REQUIRE(drift.size() == 2);
  CHECK_THAT(drift[0], Contains("seed 6: fingerprint changed: golden 00000000000000bb, now "
                                "00000000000000cc"));
  CHECK_THAT(drift[1], Contains("seed 7: zeta") && Contains("golden 0.1") &&
                           Contains("now 0.11") && Contains("(+10.00%)"));
}

TEST_CASE("check golden: update, then check passes; drift fails with a diff") {
  TempDir dir;
  const auto file = dir.write("g.toml", scenario("g", "[expect]\nmax_ldh = 100\n"));
  const auto golden = dir.path() / "g.golden.toml";
  CliRun update = herd_sim({"check", file.string(), "-q", "--seeds", "2", "--update-golden"});
  CHECK(update.code == 0);
  REQUIRE(std::filesystem::exists(golden));
  const std::string first = read(golden);
  CHECK_THAT(first, Contains("seed = \"5\"") && Contains("seed = \"6\"") &&
                        Contains("propagation_p99_ms = "));
  // Deterministic text: writing again gives the same bytes.
  CHECK(herd_sim({"check", file.string(), "-q", "--seeds", "2", "--update-golden"}).code == 0);
  CHECK(read(golden) == first);

  CliRun same = herd_sim({"check", file.string(), "-q", "--seeds", "2"});
  CHECK(same.code == 0);
  CHECK_THAT(same.out, Contains(" 2/2 "));  // max_ldh and golden

  // Edit one value: the check fails and says what moved.
  std::string edited = first;
  const auto at = edited.find("peer_lines = ");
  REQUIRE(at != std::string::npos);
  const auto end = edited.find('\n', at);
  edited.replace(at, end - at, "peer_lines = 1");
  std::ofstream(golden, std::ios::binary) << edited;
  const auto json = dir.path() / "check.json";
  const auto junit = dir.path() / "junit.xml";
  CliRun drift = herd_sim({"check", file.string(), "-q", "--seeds", "2", "--json",
                           json.string(), "--junit", junit.string()});
  CHECK(drift.code == 1);
  CHECK_THAT(drift.out, Contains("golden: expected matches g.golden.toml, got 1 difference"));
  CHECK_THAT(drift.out, Contains("drift from " + golden.string()));
  CHECK_THAT(drift.out, Contains("seed 5: peer_lines") && Contains("golden 1 "));
  CHECK_THAT(read(json), Contains("\"status\": \"drift\""));
  CHECK(xml_check::parse(read(junit)).well_formed);
  CHECK_THAT(read(junit), Contains("type=\"golden\""));

  // Another seed than the golden file holds is drift too.
  CliRun other = herd_sim({"check", file.string(), "-q", "--seed", "9"});
  CHECK(other.code == 1);
  CHECK_THAT(other.out, Contains("seed 9: not in the golden file"));
}

TEST_CASE("check golden: a fingerprint change alone is drift") {
  TempDir dir;
  const auto file = dir.write("g.toml", scenario("g", ""));
  const auto golden = dir.path() / "g.golden.toml";
  REQUIRE(herd_sim({"check", file.string(), "-q", "--update-golden"}).code == 0);
  std::string text = read(golden);
  const auto at = text.find("fingerprint = \"");
  REQUIRE(at != std::string::npos);
  text.replace(at + 15, 16, "0123456789abcdef");
  std::ofstream(golden, std::ios::binary) << text;
  CliRun run = herd_sim({"check", file.string(), "-q"});
  CHECK(run.code == 1);
  CHECK_THAT(run.out, Contains("seed 5: fingerprint changed: golden 0123456789abcdef, now "));
}

TEST_CASE("check golden: a scenario without a golden file is unaffected unless --golden") {
  TempDir dir;
  const auto file = dir.write("plain.toml", scenario("plain", "[expect]\nmax_ldh = 100\n"));
  const auto json = dir.path() / "check.json";
  CliRun run = herd_sim({"check", file.string(), "-q", "--json", json.string()});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains(" 1/1 "));
  CHECK(read(json).find("\"golden\"") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "plain.golden.toml"));
  // Folder scans skip golden files: they are not scenarios.
  REQUIRE(herd_sim({"check", file.string(), "-q", "--update-golden"}).code == 0);
  CliRun folder = herd_sim({"check", dir.path().string(), "-q"});
  CHECK(folder.code == 0);
  CHECK_THAT(folder.out, Contains("1 scenario: 1 passed"));

  const auto bare = dir.write("sub/bare.toml", scenario("bare", "[expect]\nmax_ldh = 100\n"));
  CliRun required = herd_sim({"check", bare.string(), "-q", "--golden"});
  CHECK(required.code == 1);
  CHECK_THAT(required.out, Contains("golden: expected a golden file bare.golden.toml, got none"));
  CHECK(herd_sim({"check", bare.string(), "-q", "--golden", "--update-golden"}).code == 2);
}
