// Sweeps (sim/cli/src/sweep.cpp): the result does not depend on the number of worker threads,
// a rerun reads stored cells back instead of running them, and the table from a database
// equals the table from the run. (The sweep chart is herd-dash's: tests/gui.)
#include "herd/sim/sweep.hpp"

#include <catch2/catch.hpp>

#include <herd_test/temp_dir.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "herd/sim/results_db.hpp"

using namespace herd::sim;
using herd::testing::TempDir;

namespace {

const std::filesystem::path kTiny = std::filesystem::path(HERD_SWEEP_TEST_DIR) / "tiny.toml";

void require_same(const std::vector<SweepCell>& a, const std::vector<SweepCell>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("cell " << i);
    CHECK(a[i].scenario == b[i].scenario);
    CHECK(a[i].variant == b[i].variant);
    CHECK(a[i].seed == b[i].seed);
    CHECK(a[i].fingerprint == b[i].fingerprint);
  }
}

}  // namespace

TEST_CASE("a sweep's id names it and hashes its files", "[sweep]") {
  SweepSpec spec = load_sweep(kTiny);
  REQUIRE(spec.id.size() == std::string("tiny@").size() + 16);
  CHECK(spec.id.starts_with("tiny@"));
  CHECK(load_sweep(kTiny).id == spec.id);

  TempDir dir("herd-sweep");
  for (const char* name : {"line.toml", "ring.toml"}) {
    std::filesystem::copy_file(std::filesystem::path(HERD_SWEEP_TEST_DIR) / name, dir.path() / name);
  }
  std::filesystem::copy_file(kTiny, dir.path() / "tiny.toml");
  CHECK(load_sweep(dir.path() / "tiny.toml").id == spec.id);  // content, not place
  dir.write("ring.toml", "[scenario]\nname = \"changed\"\n[herd]\nservers = [\"A\"]\n");
  CHECK(load_sweep(dir.path() / "tiny.toml").id != spec.id);  // a scenario changed
}

TEST_CASE("worker threads do not change a sweep's cells or table", "[sweep]") {
  SweepSpec spec = load_sweep(kTiny);
  SweepOptions serial;
  serial.jobs = 1;
  SweepOptions threaded;
  threaded.jobs = 4;
  auto a = run_sweep(spec, serial);
  auto b = run_sweep(spec, threaded);
  REQUIRE(a.size() == 12);
  require_same(a, b);
  CHECK(sweep_markdown(spec, a) == sweep_markdown(spec, b));
  CHECK(sweep_failures(a).empty());
  for (const auto& c : a) CHECK_FALSE(c.expectations.empty());
}

TEST_CASE("a sweep rerun into its database reads the stored cells back", "[sweep]") {
  TempDir dir("herd-sweep");
  SweepSpec spec = load_sweep(kTiny);
  SweepOptions options;
  options.db = dir.path() / "sweep.db";
  options.jobs = 2;
  options.shard = 1;
  options.shards = 2;
  auto first = run_sweep(spec, options);
  REQUIRE(first.size() == 6);
  for (const auto& c : first) CHECK_FALSE(c.reused);

  options.shard = 0;
  options.shards = 1;
  auto second = run_sweep(spec, options);
  REQUIRE(second.size() == 12);
  std::size_t reused = 0;
  for (const auto& c : second) reused += c.reused ? 1 : 0;
  CHECK(reused == 6);  // shard 1 of 2 ran cells 1, 3, 5, ...
  CHECK(second[1].reused);
  CHECK_FALSE(second[0].reused);
  CHECK(ResultsDb(options.db).runs().size() == 12);

  std::size_t missing = 99;
  auto stored = load_sweep_cells(spec, options.db, missing);
  CHECK(missing == 0);
  require_same(stored, second);
  CHECK(sweep_markdown(spec, stored) == sweep_markdown(spec, second));

  options.append = true;
  options.jobs = 3;
  auto third = run_sweep(spec, options);
  for (const auto& c : third) CHECK_FALSE(c.reused);
  require_same(third, second);
  CHECK(ResultsDb(options.db).runs().size() == 24);
}

TEST_CASE("a failed expectation names its cell", "[sweep]") {
  SweepSpec spec = load_sweep(std::filesystem::path(HERD_SWEEP_TEST_DIR) / "failing.toml");
  auto cells = run_sweep(spec, {});
  auto failures = sweep_failures(cells);
  REQUIRE(failures.size() == 1);
  CHECK_THAT(failures[0], Catch::StartsWith("tiny-line / flood ldh<=1 / seed 3: expect max_ldh <= 1, got "));
}

TEST_CASE("expect = false turns the check off, for the sweep or one variant", "[sweep]") {
  TempDir dir("herd-sweep");
  std::filesystem::copy_file(std::filesystem::path(HERD_SWEEP_TEST_DIR) / "line.toml", dir.path() / "line.toml");
  const std::string head = "[sweep]\nscenarios = [\"line.toml\"]\nseeds = [3]\n";
  const std::string strict = "[[sweep.variants]]\nlabel = \"strict\"\nset = [\"expect.max_ldh=1\"]\n";
  auto failures = [&](const std::string& text) {
    return sweep_failures(run_sweep(load_sweep(dir.write("s.toml", text)), {})).size();
  };
  CHECK(failures(head + strict) == 1);
  CHECK(failures(head + "expect = false\n" + strict) == 0);
  CHECK(failures(head + strict + "expect = false\n") == 0);
  CHECK(failures(head + "expect = false\n" + strict + "expect = true\n") == 1);
  CHECK_THROWS_WITH(load_sweep(dir.write("s.toml", head + "expect = 1\n" + strict)),
                    Catch::Contains("sweep.expect: expected true or false"));
}

TEST_CASE("a sweep naming a missing scenario fails before running anything", "[sweep]") {
  CHECK_THROWS_WITH(load_sweep(std::filesystem::path(HERD_SWEEP_TEST_DIR) / "broken.toml"),
                    Catch::Contains("no-such-scenario.toml"));
}

TEST_CASE("shards merged give the unsharded sweep", "[sweep][merge]") {
  TempDir dir("herd-sweep");
  SweepSpec spec = load_sweep(kTiny);
  auto whole = run_sweep(spec, {});
  for (std::uint32_t shard = 0; shard < 3; ++shard) {
    SweepOptions options;
    options.shard = shard;
    options.shards = 3;
    options.db = dir.path() / ("shard" + std::to_string(shard) + ".db");
    (void)run_sweep(spec, options);
  }
  ResultsDb merged(dir.path() / "merged.db");
  for (const char* name : {"shard0.db", "shard1.db", "shard2.db"}) {
    MergeCounts counts = merged.merge_from(dir.path() / name);
    CHECK(counts.copied == 4);
    CHECK(counts.skipped == 0);
  }
  auto runs = merged.runs();
  REQUIRE(runs.size() == 12);
  for (std::size_t i = 0; i < runs.size(); ++i) CHECK(runs[i].run_id == static_cast<std::int64_t>(i + 1));
  CHECK(merged.merge_from(dir.path() / "shard1.db").skipped == 4);  // already there

  std::size_t missing = 99;
  auto cells = load_sweep_cells(spec, dir.path() / "merged.db", missing);
  CHECK(missing == 0);
  require_same(cells, whole);
  CHECK(sweep_markdown(spec, cells) == sweep_markdown(spec, whole));
}

TEST_CASE("sweep cells are kept per backend, in reruns and in merges", "[sweep][merge]") {
  TempDir dir("herd-sweep");
  SweepSpec spec = load_sweep(kTiny);
  SweepOptions options;
  options.db = dir.path() / "sim.db";
  (void)run_sweep(spec, options);
  // The same cells as a live sweep would store them (backend 'live', no fingerprint).
  std::filesystem::copy_file(dir.path() / "sim.db", dir.path() / "live.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() / "live.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE runs SET backend = 'live', fingerprint = NULL", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::size_t missing = 0;
  CHECK(load_sweep_cells(spec, dir.path() / "sim.db", missing, "live").empty());
  CHECK(missing == 12);
  CHECK(load_sweep_cells(spec, dir.path() / "live.db", missing, "live").size() == 12);
  CHECK(missing == 0);
  CHECK(load_sweep_cells(spec, dir.path() / "live.db", missing).empty());
  CHECK(missing == 12);

  ResultsDb merged(dir.path() / "merged.db");
  CHECK(merged.merge_from(dir.path() / "sim.db").copied == 12);
  const MergeCounts live = merged.merge_from(dir.path() / "live.db");
  CHECK(live.copied == 12);
  CHECK(live.skipped == 0);
  CHECK(merged.merge_from(dir.path() / "live.db").skipped == 12);
  // A rerun of the simulated sweep finds its own cells, not the live ones.
  SweepOptions rerun;
  rerun.db = dir.path() / "live.db";
  const auto cells = run_sweep(spec, rerun);
  CHECK(std::none_of(cells.begin(), cells.end(), [](const SweepCell& c) { return c.reused; }));
  CHECK(ResultsDb(dir.path() / "live.db").runs().size() == 24);
}

TEST_CASE("merge refuses what is not a results database of this schema version", "[merge]") {
  TempDir dir("herd-sweep");
  ResultsDb out(dir.path() / "out.db");
  CHECK_THROWS_WITH(out.merge_from(dir.path() / "missing.db"), Catch::Contains("no such results database"));
  dir.write("text.db", "not a database");
  CHECK_THROWS_AS(out.merge_from(dir.path() / "text.db"), ResultsError);
  CHECK(out.runs().empty());
}
