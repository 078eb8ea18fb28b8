// The comparison of two stored runs (sim/experiment/src/run_comparison.cpp), the rows behind
// `herd-sim compare` and the dashboard's Compare view: on databases written by real
// simulated runs, and on hand-made profiles for the verdicts no small run produces.
#include "herd/sim/run_comparison.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"
#include "herd_test/stored_run.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;

namespace {

// Three servers on a line, 10 ms links.
constexpr const char* kNear = R"toml(
[scenario]
name = "near"
duration = "3s"
seed = 5
[herd]
servers = ["A", "B", "C"]
friends = [["A", "B"], ["B", "C"]]
[network]
latency = { dist = "constant", value = "10ms" }
[workload]
clients = 4
iamat = { rate = "20/s" }
)toml";

// Twelve servers on a ring with 150 ms links: slower, and more lines per update.
constexpr const char* kFar = R"toml(
[scenario]
name = "far"
duration = "3s"
seed = 5
[herd]
generate = { kind = "ring", n = 12 }
[network]
latency = { dist = "constant", value = "150ms" }
[workload]
clients = 4
iamat = { rate = "20/s" }
)toml";

std::int64_t store(const std::filesystem::path& db, const char* text, bool keep_deliveries = true) {
  Scenario scenario = parse_scenario(text, "compare-test.toml");
  HerdLayout layout = layout_of(build_friend_graph(scenario));
  SimulationOptions options;
  options.keep_deliveries = keep_deliveries;
  Simulation sim(scenario, layout, options);
  sim.run();
  return herd::testing::store_simulation(db, scenario, layout, sim);
}

// near, near again, far.
struct ThreeRuns {
  herd::testing::TempDir dir{"herd-compare"};
  std::filesystem::path db = dir.path() / "results.db";
  std::int64_t near = store(db, kNear), near_again = store(db, kNear), far = store(db, kFar);
};

const ComparisonRow& row(const RunComparison& c, const std::string& metric) {
  for (const auto& r : c.rows) {
    if (r.metric == metric) return r;
  }
  FAIL("no row " << metric);
  static ComparisonRow none;
  return none;
}

bool has_row(const RunComparison& c, const std::string& metric) {
  return std::any_of(c.rows.begin(), c.rows.end(), [&](const auto& r) { return r.metric == metric; });
}

}  // namespace

TEST_CASE("comparing a run with the same scenario and seed finds every metric within tolerance",
          "[results][compare]") {
  ThreeRuns f;
  const RunComparison c = compare_runs(f.db, f.near, f.near_again);
  CHECK(c.a.run_id == f.near);
  CHECK(c.b.run_id == f.near_again);
  CHECK(c.a.scenario == "near");
  CHECK(c.within_tolerance());
  CHECK(c.differing().empty());
  REQUIRE(c.rows.size() > 12);
  // The delay quantiles first, in the documented order, then the rest.
  const auto& quantiles = compared_delay_quantiles();
  for (std::size_t i = 0; i < quantiles.size(); ++i) CHECK(c.rows[i].metric == quantiles[i].metric);
  CHECK(c.rows[quantiles.size()].metric == "propagation_mean_ms");
  CHECK(c.rows.back().metric == "rmr");
  CHECK(has_row(c, "lines_per_update[AT]"));
  CHECK_FALSE(has_row(c, "lines_per_update[greeting]"));
  for (const auto& r : c.rows) {
    INFO(r.metric);
    if (r.a && r.b) CHECK(*r.diff() == 0);
    CHECK(r.verdict != CompareVerdict::differs);
  }
}

TEST_CASE("the delay quantile rows are nearest ranks of the stored propagation delays",
          "[results][compare]") {
  ThreeRuns f;
  const ResultsReader reader(f.db);
  // Delays d(u, s) for s other than the update's origin, sorted: docs/metrics.md's population.
  std::map<std::uint32_t, std::uint32_t> origin;
  for (const auto& u : reader.updates(f.far)) origin[u.update_id] = u.origin;
  std::vector<double> delays;
  for (const auto& a : reader.applies(f.far)) {
    if (a.server_id != origin.at(a.update_id)) delays.push_back(static_cast<double>(a.delay_ns) / 1e6);
  }
  std::sort(delays.begin(), delays.end());
  REQUIRE(delays.size() > 100);
  const RunComparison c = compare_runs(reader, f.near, f.far);
  CHECK(c.b.delay_count == delays.size());
  for (const auto& q : compared_delay_quantiles()) {
    INFO(q.metric);
    const auto rank = static_cast<std::size_t>(std::ceil(q.q * static_cast<double>(delays.size())));
    CHECK(*row(c, q.metric).b == delays[std::max<std::size_t>(rank, 1) - 1]);
  }
  // The writer's connection reads the same profile as the read-only one.
  const ResultsDb writer(f.db);
  const auto from_writer = writer.run_profile(f.far, compared_quantiles());
  REQUIRE(from_writer);
  CHECK(from_writer->delay_quantiles_ns == c.b.delay_quantiles_ns);
  CHECK(from_writer->summary == c.b.summary);
}

TEST_CASE("very different runs differ where the delays do, and a wide tolerance accepts them",
          "[results][compare]") {
  ThreeRuns f;
  const RunComparison c = compare_runs(f.db, f.near, f.far);
  CHECK_FALSE(c.within_tolerance());
  const ComparisonRow& p50 = row(c, "propagation_p50_ms");
  CHECK(p50.unit == CompareUnit::ms);
  CHECK(p50.verdict == CompareVerdict::differs);
  CHECK(*p50.b > 100);
  CHECK(*p50.diff() == Approx(*p50.b - *p50.a));
  // The allowance: 15 % of the larger magnitude, plus 2 ms for time metrics only.
  CHECK(p50.allowed == Approx(0.15 * std::max(*p50.a, *p50.b) + 2));
  const ComparisonRow& rmr = row(c, "rmr");
  CHECK(rmr.unit == CompareUnit::ratio);
  CHECK(rmr.allowed == Approx(0.15 * std::max(std::fabs(*rmr.a), std::fabs(*rmr.b))));
  const auto differing = c.differing();
  CHECK(std::find(differing.begin(), differing.end(), "propagation_p50_ms") != differing.end());

  const RunComparison wide = compare_runs(f.db, f.near, f.far, Tolerance{100, 100'000});
  CHECK(wide.within_tolerance());
  CHECK(wide.tolerance.pct == 100);
  // Judging the same profiles again gives what reading them again gives.
  const RunComparison again = compare_profiles(c.a, c.b, Tolerance{100, 100'000});
  REQUIRE(again.rows.size() == wide.rows.size());
  for (std::size_t i = 0; i < wide.rows.size(); ++i) {
    CHECK(again.rows[i].metric == wide.rows[i].metric);
    CHECK(again.rows[i].verdict == wide.rows[i].verdict);
    CHECK(again.rows[i].allowed == wide.rows[i].allowed);
  }
}

TEST_CASE("a run stored without its deliveries is compared on its summary quantiles",
          "[results][compare]") {
  herd::testing::TempDir dir{"herd-compare"};
  const auto db = dir.path() / "results.db";
  const auto full = store(db, kNear);
  const auto brief = store(db, kNear, /*keep_deliveries=*/false);
  const RunComparison c = compare_runs(db, full, brief);
  CHECK(c.b.delay_count == 0);
  CHECK_FALSE(has_row(c, "propagation_p10_ms"));
  CHECK(c.rows[0].metric == "propagation_p50_ms");
  CHECK(c.within_tolerance());
  // The summary's nearest ranks equal those streamed from the deliveries.
  const RunComparison streamed = compare_runs(db, full, full);
  CHECK(*row(c, "propagation_p99_ms").b == Approx(*row(streamed, "propagation_p99_ms").a).margin(1e-9));
}

TEST_CASE("comparing names what is missing: the database, a run, a sane tolerance",
          "[results][compare]") {
  ThreeRuns f;
  try {
    (void)compare_runs(f.db, f.near, 99);
    FAIL("no error for run 99");
  } catch (const NoSuchRun& e) {
    CHECK(e.run_id == 99);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("has no run 99"));
  }
  const auto missing = f.dir.path() / "nope.db";
  CHECK_THROWS_WITH(compare_runs(missing, 1, 2),
                    Catch::Matchers::Contains("no such results database"));
  CHECK_FALSE(std::filesystem::exists(missing));
  CHECK_THROWS_AS(compare_runs(f.db, f.near, f.far, Tolerance{-1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(compare_runs(f.db, f.near, f.far, Tolerance{15, std::nan("")}),
                  std::invalid_argument);
}

TEST_CASE("convergence absent means never; other metrics absent are one-sided or n/a",
          "[results][compare]") {
  RunProfile a, b;
  a.run_id = 1;
  b.run_id = 2;
  a.summary = {{"convergence_ms", 120}, {"rmr", 2}, {"updates", 10}};
  b.summary = {{"rmr", 2.5}, {"updates", 20}};
  a.staleness_samples = 4;
  a.staleness_mean_ns = 3e6;
  a.staleness_max_ns = 9'000'000;
  a.traffic_by_kind = {{"AT", 30, 0}, {"greeting", 5, 0}};
  b.traffic_by_kind = {{"AT", 60, 0}, {"IHAVE", 40, 0}};
  const RunComparison c = compare_profiles(a, b);
  CHECK(row(c, "convergence_ms").verdict == CompareVerdict::differs);
  CHECK(row(c, "staleness_mean_ms").verdict == CompareVerdict::one_sided);
  CHECK(*row(c, "staleness_max_ms").a == 9);
  CHECK(row(c, "reach_min").verdict == CompareVerdict::absent);
  // Lines per update by kind; a kind a run never sent is 0 for it; greetings are left out.
  CHECK(*row(c, "lines_per_update[AT]").a == 3);
  CHECK(*row(c, "lines_per_update[AT]").b == 3);
  CHECK(*row(c, "lines_per_update[IHAVE]").a == 0);
  CHECK(*row(c, "lines_per_update[IHAVE]").b == 2);
  CHECK_FALSE(has_row(c, "lines_per_update[greeting]"));
  // 2 against 2.5 is 20 % of the larger: outside 15 %, inside 25 %.
  CHECK(row(c, "rmr").verdict == CompareVerdict::differs);
  CHECK(row(compare_profiles(a, b, Tolerance{25, 0}), "rmr").verdict == CompareVerdict::within);
  CHECK(c.one_sided() == std::vector<std::string>{"staleness_mean_ms", "staleness_max_ms"});
  CHECK_FALSE(c.within_tolerance());

  // Neither converged: the same outcome.
  a.summary = {{"rmr", 2}, {"updates", 10}};
  CHECK(row(compare_profiles(a, b), "convergence_ms").verdict == CompareVerdict::within);
  CHECK(verdict_text(CompareVerdict::differs) == std::string("DIFFERS"));
  CHECK(verdict_name(CompareVerdict::one_sided) == std::string("one_sided"));
}
