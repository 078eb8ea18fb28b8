// herd-sim compare on a results database written by real simulated runs: the same scenario
// and seed twice is within tolerance, two very different herds are not, and a run id the
// database lacks is bad input with a message that says so.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>

#include "cli_harness.hpp"
#include "herd_test/temp_dir.hpp"

using herd::testing::CliRun;
using herd::testing::herd_sim;
using herd::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

// Three servers on a line, 10 ms links: a couple of virtual seconds, milliseconds to run.
const std::string kSmall =
    "[scenario]\nname = \"small\"\nduration = \"3s\"\nseed = 5\n"
    "[herd]\nservers = [\"A\", \"B\", \"C\"]\nfriends = [[\"A\", \"B\"], [\"B\", \"C\"]]\n"
    "[network]\nlatency = { dist = \"constant\", value = \"10ms\" }\n"
    "[workload]\nclients = 4\niamat = { rate = \"20/s\" }\n";

// Twelve servers on a ring with 150 ms links: slower, and more lines per update.
const std::string kFar =
    "[scenario]\nname = \"far\"\nduration = \"3s\"\nseed = 5\n"
    "[herd]\ngenerate = { kind = \"ring\", n = 12 }\n"
    "[network]\nlatency = { dist = \"constant\", value = \"150ms\" }\n"
    "[workload]\nclients = 4\niamat = { rate = \"20/s\" }\n";

struct Captured {
  CliRun run;
  std::string err;
};

Captured herd_sim_with_stderr(std::vector<std::string> args) {
  std::ostringstream err;
  std::streambuf* old = std::cerr.rdbuf(err.rdbuf());
  Captured c;
  try {
    c.run = herd_sim(std::move(args));
  } catch (...) {
    std::cerr.rdbuf(old);
    throw;
  }
  std::cerr.rdbuf(old);
  c.err = err.str();
  return c;
}

// Writes three runs into `db`: small, small again (same seed), far.
void three_runs(const TempDir& dir, const std::string& db, std::vector<std::string> extra = {}) {
  const auto small = dir.write("small.toml", kSmall);
  const auto far = dir.write("far.toml", kFar);
  for (const auto& file : {small, small, far}) {
    std::vector<std::string> args{"run", file.string(), "--db", db, "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    REQUIRE(herd_sim(args).code == 0);
  }
}

}  // namespace

TEST_CASE("cli compare: the same scenario and seed twice is within tolerance") {
  TempDir dir;
  const std::string db = (dir.path() / "results.db").string();
  three_runs(dir, db);
  const CliRun run = herd_sim({"compare", db, "--runs", "1", "2"});
  INFO(run.out);
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("propagation_p10_ms"));
  CHECK_THAT(run.out, Contains("staleness_mean_ms"));
  CHECK_THAT(run.out, Contains("lines_per_update[AT]"));
  CHECK_THAT(run.out, Contains("verdict: within tolerance"));
  CHECK_THAT(run.out, !Contains("DIFFERS"));
}

TEST_CASE("cli compare: very different scenarios are outside tolerance, and say where") {
  TempDir dir;
  const std::string db = (dir.path() / "results.db").string();
  three_runs(dir, db);
  const CliRun run = herd_sim({"compare", db, "--runs", "1", "3"});
  INFO(run.out);
  CHECK(run.code == 1);
  CHECK_THAT(run.out, Contains("verdict: DIFFERENT"));
  CHECK_THAT(run.out, Contains("propagation_p50_ms"));
  // The delays differ by far more than 15% + 2 ms: 10 ms links against 150 ms ones.
  const CliRun json = herd_sim({"compare", db, "--runs", "1", "3", "--json"});
  CHECK(json.code == 1);
  const auto value = boost::json::parse(json.out);
  const auto& o = value.as_object();
  CHECK_FALSE(o.at("within_tolerance").as_bool());
  CHECK(o.at("a").as_object().at("scenario").as_string() == "small");
  CHECK(o.at("b").as_object().at("scenario").as_string() == "far");
  bool p50_differs = false;
  for (const auto& m : o.at("metrics").as_array()) {
    const auto& metric = m.as_object();
    if (metric.at("name").as_string() == "propagation_p50_ms") {
      p50_differs = metric.at("verdict").as_string() == "differs";
      CHECK(metric.at("b").to_number<double>() > 100);
    }
  }
  CHECK(p50_differs);
  // A tolerance wide enough for anything makes the same pair pass.
  CHECK(herd_sim({"compare", db, "--runs", "1", "3", "--tolerance-pct", "100",
                  "--tolerance-ms", "100000"})
            .code == 0);
}

TEST_CASE("cli compare: runs stored --summary-only compare on their summary quantiles") {
  TempDir dir;
  const std::string db = (dir.path() / "results.db").string();
  three_runs(dir, db, {"--summary-only"});
  const CliRun same = herd_sim({"compare", db, "--runs", "1", "2"});
  INFO(same.out);
  CHECK(same.code == 0);
  CHECK_THAT(same.out, Contains("propagation_p95_ms"));
  CHECK_THAT(same.out, !Contains("propagation_p10_ms"));
  CHECK(herd_sim({"compare", db, "--runs", "2", "3"}).code == 1);
}

TEST_CASE("cli compare: a missing run, database or tolerance is bad input (exit 2)") {
  TempDir dir;
  const std::string db = (dir.path() / "results.db").string();
  three_runs(dir, db);
  const Captured missing = herd_sim_with_stderr({"compare", db, "--runs", "1", "99"});
  CHECK(missing.run.code == 2);
  CHECK_THAT(missing.err, Contains("has no run 99"));
  const Captured no_db =
      herd_sim_with_stderr({"compare", (dir.path() / "nope.db").string(), "--runs", "1", "2"});
  CHECK(no_db.run.code == 2);
  CHECK_THAT(no_db.err, Contains("no such results database"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "nope.db"));
  const Captured negative =
      herd_sim_with_stderr({"compare", db, "--runs", "1", "2", "--tolerance-pct", "-1"});
  CHECK(negative.run.code == 2);
  CHECK(herd_sim_with_stderr({"compare", db, "--runs", "1"}).run.code == 2);
}

TEST_CASE("cli compare: quantiles read from the deliveries equal the summary's nearest ranks") {
  // The same run stored twice, once with its deliveries and once --summary-only: compare
  // takes p50/p95/p99/max from the applies table in one and from the summary in the other.
  TempDir dir;
  const auto small = dir.write("small.toml", kSmall);
  const std::string db = (dir.path() / "results.db").string();
  REQUIRE(herd_sim({"run", small.string(), "--db", db, "-q"}).code == 0);
  REQUIRE(herd_sim({"run", small.string(), "--db", db, "-q", "--summary-only"}).code == 0);
  const CliRun full = herd_sim({"compare", db, "--runs", "1", "1", "--json"});
  const CliRun summary = herd_sim({"compare", db, "--runs", "2", "2", "--json"});
  REQUIRE(full.code == 0);
  REQUIRE(summary.code == 0);
  auto value_of = [](const std::string& json, const std::string& name) {
    const boost::json::value parsed = boost::json::parse(json);
    for (const auto& m : parsed.as_object().at("metrics").as_array()) {
      if (m.as_object().at("name").as_string() == name) return m.as_object().at("a").to_number<double>();
    }
    FAIL("no metric " << name);
    return 0.0;
  };
  CHECK(boost::json::parse(full.out).as_object().at("a").as_object().at("delays").as_int64() > 0);
  for (const char* name : {"propagation_p50_ms", "propagation_p95_ms", "propagation_p99_ms",
                           "propagation_max_ms"}) {
    INFO(name);
    CHECK(value_of(full.out, name) == Approx(value_of(summary.out, name)).margin(1e-9));
  }
}
