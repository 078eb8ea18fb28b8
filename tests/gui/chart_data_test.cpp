// Chart data (gui/lib/src/chart_data.cpp) against the metric definitions of docs/metrics.md:
// what each chart draws must agree with what the run's summary says, on a real run's rows.
#include "herd/gui/chart_data.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include <QBarCategoryAxis>
#include <QChart>

#include "dash_fixture.hpp"
#include "herd/gui/charts.hpp"
#include "herd/gui/graph_layout.hpp"
#include "herd/sim/sweep.hpp"

using namespace herd::gui;
using herd::sim::ResultsReader;

TEST_CASE("the delay CDF's points are exactly the stored propagation delays", "[gui][charts]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  for (auto id : db.runs) {
    auto run = load_run(reader, id);
    // Independently: every applies row whose server is not the update's origin.
    std::vector<double> expected;
    auto updates = reader.updates(id);
    for (const auto& a : reader.applies(id)) {
      if (a.server_id != updates[a.update_id].origin) expected.push_back(static_cast<double>(a.delay_ns) / 1e6);
    }
    std::sort(expected.begin(), expected.end());
    REQUIRE(expected.size() > 50);
    Line cdf = delay_cdf(*run);
    REQUIRE(cdf.points.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CHECK(cdf.points[i].x == expected[i]);
      CHECK(cdf.points[i].y == Approx(static_cast<double>(i + 1) / static_cast<double>(expected.size())));
    }
    // The summary's percentiles are nearest-rank over the same delays.
    auto delays = propagation_delays_ms(*run);
    CHECK(nearest_rank(delays, 50) == Approx(*run->run.metric("propagation_p50_ms")).epsilon(1e-9));
    CHECK(nearest_rank(delays, 95) == Approx(*run->run.metric("propagation_p95_ms")).epsilon(1e-9));
    CHECK(nearest_rank(delays, 99) == Approx(*run->run.metric("propagation_p99_ms")).epsilon(1e-9));
    CHECK(delays.back() == Approx(*run->run.metric("propagation_max_ms")).epsilon(1e-9));
  }
}

TEST_CASE("thinning a line keeps its ends and at most the asked points", "[gui][charts]") {
  Line line{"x", {}};
  for (int i = 0; i < 10'001; ++i) line.points.push_back({static_cast<double>(i), i / 10'000.0});
  Line thin = thin_out(line, 100);
  REQUIRE(thin.points.size() == 100);
  CHECK(thin.points.front() == line.points.front());
  CHECK(thin.points.back() == line.points.back());
  CHECK(std::is_sorted(thin.points.begin(), thin.points.end(),
                       [](const Point& a, const Point& b) { return a.x < b.x; }));
  CHECK(thin_out(line, 20'000).points.size() == line.points.size());
}

TEST_CASE("delay by hops covers every direct delivery and reaches the run's LDH", "[gui][charts]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  auto run = load_run(reader, db.runs[0]);
  auto rows = delay_by_hops(*run);
  REQUIRE_FALSE(rows.empty());
  std::size_t counted = 0;
  for (const auto& h : rows) {
    counted += h.count;
    CHECK(h.p50_ms <= h.p95_ms);
    CHECK(h.p95_ms <= h.max_ms);
    CHECK(h.hops >= 1);
  }
  std::size_t direct = 0;
  for (const auto& a : run->applies) direct += (a.direct && a.hops > 0) ? 1 : 0;
  CHECK(counted == direct);
  CHECK(static_cast<double>(rows.back().hops) == *run->run.metric("ldh_max"));
}

TEST_CASE("the herd's staleness line peaks at the summary's max staleness", "[gui][charts]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  auto run = load_run(reader, db.runs[0]);
  auto herd = staleness_lines(*run);
  REQUIRE(herd.max.points.size() == herd.mean.points.size());
  REQUIRE(herd.max.points.size() >= 10);
  double top = 0;
  for (const auto& p : herd.max.points) top = std::max(top, p.y);
  CHECK(top == Approx(*run->run.metric("max_staleness_ms")));
  for (std::size_t i = 0; i < herd.max.points.size(); ++i) CHECK(herd.mean.points[i].y <= herd.max.points[i].y + 1e-9);
  // The crashed server has no samples while it is down (1 s to 2 s).
  auto crashed = staleness_lines(*run, 3);
  for (const auto& p : crashed.max.points) CHECK_FALSE((p.x > 1.0 && p.x < 2.0));
  CHECK(crashed.max.points.size() < herd.max.points.size());

  auto bands = fault_bands(*run);
  REQUIRE(bands.size() == 1);
  CHECK(bands[0].from_s == 1.0);
  CHECK(bands[0].to_s == 2.0);
  CHECK(bands[0].label == "crash s03");
}

TEST_CASE("traffic per update by kind adds up to the run's peer lines", "[gui][charts]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  std::vector<std::shared_ptr<const RunData>> runs;
  std::vector<const RunData*> raw;
  for (auto id : db.runs) runs.push_back(load_run(reader, id)), raw.push_back(runs.back().get());
  KindBars bars = traffic_per_update(raw);
  REQUIRE(bars.runs.size() == 3);
  CHECK(std::find(bars.kinds.begin(), bars.kinds.end(), "greeting") == bars.kinds.end());
  CHECK(std::find(bars.kinds.begin(), bars.kinds.end(), "AT") != bars.kinds.end());
  for (std::size_t r = 0; r < raw.size(); ++r) {
    double per_update = 0;
    for (std::size_t k = 0; k < bars.kinds.size(); ++k) per_update += bars.values[k][r];
    const double updates = *raw[r]->run.metric("updates");
    CHECK(per_update * updates == Approx(*raw[r]->run.metric("peer_lines")));
    CHECK(per_update == Approx(*raw[r]->run.metric("messages_per_update")));
  }
}

TEST_CASE("a metric's spread groups runs by strategy over seeds", "[gui][charts]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  auto stored = reader.runs();
  std::vector<const herd::sim::StoredRun*> runs;
  for (const auto& r : stored) runs.push_back(&r);
  auto groups = metric_spread(runs, "rmr");
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].group == "dash-test flood");
  CHECK(groups[1].group == "dash-test gossip");
  REQUIRE(groups[0].values.size() == 2);
  const double a = *stored[0].metric("rmr"), b = *stored[1].metric("rmr");
  CHECK(groups[0].min == std::min(a, b));
  CHECK(groups[0].max == std::max(a, b));
  CHECK(groups[0].median == Approx((a + b) / 2));
  CHECK(groups[0].run_ids[0] == (a <= b ? stored[0].run_id : stored[1].run_id));
  auto missing = metric_spread(runs, "no_such_metric");
  CHECK(missing[0].values.empty());
  CHECK(missing[0].missing == 2);
}

TEST_CASE("every chart's data exports as CSV with a header and rows", "[gui][charts]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  auto run = load_run(reader, db.runs[0]);
  for (const auto& info : chart_kinds()) {
    Table t = chart_table(ChartSpec{info.kind, {}, 4000}, {run.get()});
    INFO(info.name);
    CHECK_FALSE(t.header.empty());
    CHECK_FALSE(t.rows.empty());
    for (const auto& row : t.rows) CHECK(row.size() == t.header.size());
  }
  CHECK(to_csv(Table{{"a", "b"}, {{"x,y", "say \"hi\""}}}) == "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
}

TEST_CASE("the graph layout is deterministic and spreads servers out", "[gui][layout]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  auto edges = reader.friends(db.runs[0]);
  auto a = force_layout(12, edges, {});
  auto b = force_layout(12, edges, {});
  REQUIRE(a.size() == 12);
  CHECK(a == b);
  auto c = force_layout(12, edges, LayoutOptions{2, 1000, 1.6, 20'000});
  CHECK_FALSE(a == c);
  for (const auto& p : a) {
    CHECK(p.x >= 0);
    CHECK(p.x <= 1600);
    CHECK(p.y >= 0);
    CHECK(p.y <= 1000);
  }
  double closest = 1e9;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      closest = std::min(closest, std::hypot(a[i].x - a[j].x, a[i].y - a[j].y));
    }
  }
  CHECK(closest > 10);
  CHECK_THROWS_AS(force_layout(30'000, {}, {}), std::length_error);
}

TEST_CASE("a run's label names its backend when it is not the simulator", "[gui][charts]") {
  herd::sim::StoredRun run;
  run.run_id = 7;
  run.scenario = "winter2023-outage";
  run.strategy = "flood";
  run.seed = 1;
  run.backend = "sim";
  CHECK(run_label(run) == "#7 winter2023-outage flood s1");
  run.backend = "live";
  CHECK(run_label(run) == "#7 winter2023-outage flood s1 live");
}

TEST_CASE("the sweep chart's bars are the sweep's means over seeds", "[gui][charts][sweep]") {
  herd::testing::TempDir dir{"herd-dash-sweep"};
  const auto db = dir.path() / "sweep.db";
  const auto spec = herd::sim::load_sweep(std::filesystem::path(HERD_SWEEP_TEST_DIR) / "tiny.toml");
  herd::sim::SweepOptions options;
  options.db = db;
  options.jobs = 2;
  const auto cells = herd::sim::run_sweep(spec, options);
  REQUIRE(cells.size() == 12);
  ResultsReader reader(db);
  const auto runs = reader.runs();
  std::vector<const herd::sim::StoredRun*> stored;
  for (const auto& r : runs) stored.push_back(&r);
  for (const std::string metric : kSweepMetrics) {
    INFO(metric);
    const SweepBars bars = sweep_bars(stored, metric);
    CHECK(bars.scenarios == std::vector<std::string>{cells.front().scenario, cells.back().scenario});
    CHECK(bars.variants == std::vector<std::string>{"flood", "gossip f=1+AE", "plumtree+AE"});
    // Independently, from the cells' summaries as the sweep's table takes them.
    for (std::size_t s = 0; s < bars.scenarios.size(); ++s) {
      for (std::size_t v = 0; v < bars.variants.size(); ++v) {
        double sum = 0;
        std::size_t n = 0;
        for (const auto& c : cells) {
          if (c.scenario != bars.scenarios[s] || c.variant != bars.variants[v]) continue;
          sum += metric == "messages_per_update" ? c.summary.messages_per_update
                                                 : static_cast<double>(c.summary.propagation.p99_ns) / 1e6;
          ++n;
        }
        REQUIRE(n == 2);
        CHECK(bars.runs[v][s] == 2);
        REQUIRE(bars.mean[v][s].has_value());
        CHECK(*bars.mean[v][s] == Approx(sum / 2).epsilon(1e-9));
      }
    }
  }
  // A run without the metric leaves its cell empty rather than counting it as zero.
  herd::sim::StoredRun lone;
  lone.scenario = "other";
  lone.strategy = "flood";
  const SweepBars partial = sweep_bars({&lone}, "messages_per_update");
  REQUIRE(partial.mean.size() == 1);
  CHECK_FALSE(partial.mean[0][0].has_value());
  CHECK(partial.runs[0][0] == 0);
}

TEST_CASE("the sweep chart names every scenario in full, broken at hyphens", "[gui][charts][sweep]") {
  // Slanted and elided, "maelstrom-broadcast-grid" and "maelstrom-broadcast-tree4" both
  // read "maelstrom-broa…"; each label must hold the whole name.
  const std::vector<std::string> names{"maelstrom-broadcast-grid", "maelstrom-broadcast-tree4",
                                       "winter2023-outage", "ws200-swarm", "x"};
  std::vector<RunData> data(names.size());
  std::vector<const RunData*> runs;
  for (std::size_t i = 0; i < names.size(); ++i) {
    data[i].run.scenario = names[i];
    data[i].run.strategy = "flood";
    data[i].run.summary = {{"messages_per_update", 10.0 * static_cast<double>(i + 1)}};
    runs.push_back(&data[i]);
  }
  ChartSpec spec;
  spec.kind = ChartKind::sweep;
  std::unique_ptr<QChart> chart(build_chart(spec, runs));
  QBarCategoryAxis* axis = nullptr;
  for (QAbstractAxis* a : chart->axes(Qt::Horizontal)) axis = qobject_cast<QBarCategoryAxis*>(a);
  REQUIRE(axis != nullptr);
  const QStringList labels = axis->categories();
  REQUIRE(labels.size() == static_cast<int>(names.size()));
  for (std::size_t i = 0; i < names.size(); ++i) {
    QString joined = labels[static_cast<int>(i)];
    CHECK(QString(joined).remove("<br>").toStdString() == names[i]);
    for (const QString& line : joined.split("<br>")) CHECK(line.size() <= 16);
  }
  CHECK(labels[0] == "maelstrom-<br>broadcast-grid");
  CHECK(axis->labelsAngle() == 0);
}

TEST_CASE("the convergence chart says which runs never converged", "[gui][charts]") {
  // A run that never converged stores no convergence_ms; the chart must not call that
  // missing data.
  std::vector<RunData> data(3);
  std::vector<const RunData*> runs;
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i].run.run_id = static_cast<std::int64_t>(i + 1);
    data[i].run.scenario = "outage";
    data[i].run.strategy = "flood";
    data[i].run.seed = static_cast<std::int64_t>(i + 1);
    runs.push_back(&data[i]);
  }
  ChartSpec spec;
  spec.kind = ChartKind::convergence;
  {
    std::unique_ptr<QChart> none(build_chart(spec, runs));
    CHECK(none->title().contains("none of the 3 selected runs converged"));
    CHECK(none->series().isEmpty());
  }
  data[0].run.summary = {{"convergence_ms", 1500.0}};
  data[1].run.summary = {{"convergence_ms", 2500.0}};
  std::unique_ptr<QChart> some(build_chart(spec, runs));
  QBarCategoryAxis* axis = nullptr;
  for (QAbstractAxis* a : some->axes(Qt::Horizontal)) axis = qobject_cast<QBarCategoryAxis*>(a);
  REQUIRE(axis != nullptr);
  REQUIRE(axis->categories().size() == 1);
  CHECK(axis->categories()[0].endsWith("(2 runs; 1 never converged)"));
}
