// The Compare view (gui/lib/src/compare_view.cpp) on a database written by real simulated
// runs: its table holds the experiment layer's comparison row for row, its verdicts follow
// the tolerance boxes, its chart draws the stored delays, and the window and
// `herd-dash plot --chart compare` show it.
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QTabWidget>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <sstream>

#include "dash_fixture.hpp"
#include "herd/gui/compare_view.hpp"
#include "herd/gui/main_window.hpp"
#include "herd/gui/plot.hpp"
#include "herd/sim/run_comparison.hpp"

using namespace herd::gui;
using herd::sim::CompareVerdict;
using herd::sim::ResultsReader;

namespace {

void settle() {
  for (int i = 0; i < 5; ++i) QApplication::processEvents();
}

QVariant cell(const CompareModel& m, int row, int column, int role = Qt::UserRole) {
  return m.data(m.index(row, column), role);
}

// The model's rows against the experiment layer's, value for value.
void check_rows_equal(const CompareModel& model, const herd::sim::RunComparison& expected) {
  REQUIRE(model.rowCount() == static_cast<int>(expected.rows.size()));
  for (int i = 0; i < model.rowCount(); ++i) {
    const auto& r = expected.rows[static_cast<std::size_t>(i)];
    INFO(r.metric);
    CHECK(cell(model, i, CompareModel::kMetric).toString().toStdString() == r.metric);
    CHECK(cell(model, i, CompareModel::kUnit).toString() == herd::sim::unit_name(r.unit));
    auto same = [&](int column, std::optional<double> want) {
      const QVariant got = cell(model, i, column);
      CHECK(got.isValid() == want.has_value());
      if (want && got.isValid()) CHECK(got.toDouble() == *want);
    };
    same(CompareModel::kA, r.a);
    same(CompareModel::kB, r.b);
    same(CompareModel::kDiff, r.diff());
    same(CompareModel::kAllowed, r.a && r.b ? std::optional<double>(r.allowed) : std::nullopt);
    CHECK(cell(model, i, CompareModel::kVerdict).toString() == herd::sim::verdict_name(r.verdict));
    CHECK(cell(model, i, CompareModel::kVerdict, Qt::DisplayRole).toString() ==
          herd::sim::verdict_text(r.verdict));
    // DIFFERS rows, and only they, are highlighted.
    CHECK(cell(model, i, CompareModel::kMetric, Qt::BackgroundRole).isValid() ==
          (r.verdict == CompareVerdict::differs));
  }
}

int row_of(const CompareModel& model, const std::string& metric) {
  for (int i = 0; i < model.rowCount(); ++i) {
    if (cell(model, i, CompareModel::kMetric).toString().toStdString() == metric) return i;
  }
  return -1;
}

// Propagation delays in ms of (update, server other than its origin), sorted, read straight
// from the stored rows.
std::vector<double> stored_delays(const ResultsReader& reader, std::int64_t run) {
  std::map<std::uint32_t, std::uint32_t> origin;
  for (const auto& u : reader.updates(run)) origin[u.update_id] = u.origin;
  std::vector<double> out;
  for (const auto& a : reader.applies(run)) {
    if (a.server_id != origin.at(a.update_id)) out.push_back(static_cast<double>(a.delay_ns) / 1e6);
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Panel {
  herd::testing::DashDb db;
  ResultsReader reader{db.path};
  ComparePanel panel;
  Panel() {
    panel.set_source(&reader, [this](std::int64_t id) { return load_run(reader, id); });
    panel.set_run_list(reader.runs());
    panel.resize(1000, 800);
  }
};

}  // namespace

TEST_CASE("the compare table holds the experiment layer's rows and verdicts", "[gui][compare]") {
  Panel f;
  const auto flood = f.db.runs[0], gossip = f.db.runs[2];
  REQUIRE(f.panel.compare(flood, gossip).isEmpty());
  const auto expected = herd::sim::compare_runs(f.db.path, flood, gossip);
  check_rows_equal(*f.panel.model(), expected);
  // Flooding against gossip: different traffic, so some metric differs, and the verdict says so.
  REQUIRE_FALSE(expected.within_tolerance());
  CHECK(f.panel.verdict_label()->text().startsWith("DIFFERENT: "));
  CHECK(f.panel.verdict_label()->text().contains(QString::fromStdString(expected.differing().front())));
  CHECK(f.panel.run_a()->currentData().toLongLong() == flood);
  CHECK(f.panel.run_b()->currentData().toLongLong() == gossip);
  // The same run against itself is within tolerance.
  REQUIRE(f.panel.compare(flood, flood).isEmpty());
  CHECK(f.panel.verdict_label()->text().startsWith("Within tolerance"));
  // Numbers read as herd-sim compare prints them.
  CHECK(compare_number(0.5) == "0.5");
  CHECK(compare_number(12.345678) == "12.3457");
  CHECK(compare_number(100) == "100");
  CHECK(compare_number(-3.25) == "-3.25");
}

TEST_CASE("the tolerance boxes judge the same runs again", "[gui][compare]") {
  Panel f;
  const auto flood = f.db.runs[0], gossip = f.db.runs[2];
  REQUIRE(f.panel.compare(flood, gossip).isEmpty());
  const CompareModel& model = *f.panel.model();
  // A ratio row that differs at the default 15 %: the percentage it needs decides it.
  int row = -1;
  double needed_pct = 0;
  for (int i = 0; i < model.rowCount(); ++i) {
    if (cell(model, i, CompareModel::kUnit).toString() != "ratio") continue;
    if (cell(model, i, CompareModel::kVerdict).toString() != "differs") continue;
    const double a = cell(model, i, CompareModel::kA).toDouble(), b = cell(model, i, CompareModel::kB).toDouble();
    row = i;
    needed_pct = 100 * std::fabs(b - a) / std::max(std::fabs(a), std::fabs(b));
    break;
  }
  REQUIRE(row >= 0);
  REQUIRE(needed_pct > 16);
  const std::string metric = cell(model, row, CompareModel::kMetric).toString().toStdString();
  INFO(metric << " needs " << needed_pct << " %");
  f.panel.tolerance_pct()->setValue(needed_pct + 1);
  CHECK(cell(model, row_of(model, metric), CompareModel::kVerdict).toString() == "within");
  check_rows_equal(model, herd::sim::compare_runs(f.db.path, flood, gossip, f.panel.tolerance()));
  f.panel.tolerance_pct()->setValue(needed_pct - 1);
  CHECK(cell(model, row_of(model, metric), CompareModel::kVerdict).toString() == "differs");
  // Time metrics also get the ms allowance: wide enough for everything, nothing differs.
  f.panel.tolerance_pct()->setValue(1000);
  f.panel.tolerance_ms()->setValue(1e6);
  CHECK(model.comparison()->within_tolerance());
  CHECK(f.panel.verdict_label()->text().startsWith("Within tolerance"));
  check_rows_equal(model, herd::sim::compare_runs(f.db.path, flood, gossip, herd::sim::Tolerance{1000, 1e6}));
}

TEST_CASE("the compare chart draws both runs' stored delays", "[gui][compare]") {
  Panel f;
  const auto a = f.db.runs[0], b = f.db.runs[2];
  REQUIRE(f.panel.compare(a, b).isEmpty());
  QChart* chart = f.panel.view()->chart();
  REQUIRE(chart != nullptr);
  QList<QLineSeries*> lines;
  for (QAbstractSeries* s : chart->series()) {
    if (auto* line = qobject_cast<QLineSeries*>(s)) lines.push_back(line);
  }
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]->name().startsWith(QString("A: run %1, sim, dash-test").arg(a)));
  CHECK(lines[1]->name().startsWith(QString("B: run %1, sim, dash-test").arg(b)));
  for (int k = 0; k < 2; ++k) {
    const auto delays = stored_delays(f.reader, k == 0 ? a : b);
    const auto n = static_cast<double>(delays.size());
    REQUIRE(delays.size() > 100);
    const auto points = lines[k]->points();
    INFO("series " << k << ": " << points.size() << " points of " << delays.size());
    CHECK(points.size() == static_cast<qsizetype>(std::min<std::size_t>(delays.size(), 4000)));
    CHECK(points.front().x() == delays.front());
    CHECK(points.back().x() == delays.back());
    CHECK(points.back().y() == 1.0);
    // Every point is (the i-th smallest delay, i / n).
    for (const QPointF& p : points) {
      const auto i = static_cast<std::size_t>(std::lround(p.y() * n));
      REQUIRE(i >= 1);
      REQUIRE(i <= delays.size());
      CHECK(p.x() == delays[i - 1]);
    }
  }
}

TEST_CASE("the pickers compare any two runs; fewer than two clears the view", "[gui][compare]") {
  Panel f;
  REQUIRE(f.panel.compare(f.db.runs[0], f.db.runs[1]).isEmpty());
  QComboBox* b = f.panel.run_b();
  b->setCurrentIndex(b->findData(QVariant::fromValue<qlonglong>(f.db.runs[2])));
  REQUIRE(f.panel.model()->comparison());
  CHECK(f.panel.model()->comparison()->b.run_id == f.db.runs[2]);
  check_rows_equal(*f.panel.model(), herd::sim::compare_runs(f.db.path, f.db.runs[0], f.db.runs[2]));
  b->setCurrentIndex(0);  // none
  CHECK(f.panel.model()->rowCount() == 0);
  // A run the database lacks says so instead of showing stale rows.
  CHECK(f.panel.compare(f.db.runs[0], 99).contains("has no run 99"));
  CHECK(f.panel.model()->rowCount() == 0);
  // The CSV export holds every row.
  REQUIRE(f.panel.compare(f.db.runs[0], f.db.runs[2]).isEmpty());
  const Table t = f.panel.table();
  CHECK(t.rows.size() == static_cast<std::size_t>(f.panel.model()->rowCount()));
  CHECK(t.header.back() == "verdict");
}

TEST_CASE("the window compares exactly two selected runs", "[gui][compare][window]") {
  herd::testing::DashDb db;
  MainWindow window;
  window.resize(1400, 850);
  REQUIRE(window.open_database(QString::fromStdString(db.path.string())).isEmpty());
  window.show();
  window.tabs()->setCurrentWidget(window.compare_panel());
  window.select_runs({db.runs[0], db.runs[2]});
  settle();
  ComparePanel* panel = window.compare_panel();
  REQUIRE(panel->model()->comparison());
  CHECK(panel->model()->comparison()->a.run_id == db.runs[0]);
  CHECK(panel->model()->comparison()->b.run_id == db.runs[2]);
  // Selected while another tab is shown: compared when the view is opened.
  window.tabs()->setCurrentIndex(0);
  window.select_runs({db.runs[1], db.runs[2]});
  settle();
  CHECK(panel->model()->comparison()->a.run_id == db.runs[0]);
  window.tabs()->setCurrentWidget(panel);
  settle();
  CHECK(panel->model()->comparison()->a.run_id == db.runs[1]);
  check_rows_equal(*panel->model(), herd::sim::compare_runs(db.path, db.runs[1], db.runs[2]));
}

TEST_CASE("herd-dash plot draws the Compare view and refuses anything but two runs",
          "[gui][compare][plot]") {
  herd::testing::DashDb db;
  const QString path = QString::fromStdString(db.path.string());
  const QString out = QString::fromStdString((db.dir.path() / "compare.png").string());
  std::ostringstream o, e;
  REQUIRE(plot_command({path, "--runs", QString::number(db.runs[0]), QString::number(db.runs[2]),
                        "--chart", "compare", "-o", out, "--width", "900", "--height", "700"},
                       o, e) == 0);
  CHECK(e.str().empty());
  QImage image;
  REQUIRE(image.load(out, "PNG"));
  CHECK(image.width() == 900);
  CHECK(image.height() == 700);
  std::ostringstream o2, e2;
  CHECK(plot_command({path, "--run", QString::number(db.runs[0]), "--chart", "compare", "-o", out}, o2, e2) == 2);
  CHECK_THAT(e2.str(), Catch::Matchers::Contains("exactly two runs"));
  std::ostringstream o3, e3;
  CHECK(plot_command({path, "--runs", "1", "77", "--chart", "compare", "-o", out}, o3, e3) == 1);
  CHECK_THAT(e3.str(), Catch::Matchers::Contains("has no run 77"));
  std::ostringstream o4, e4;
  CHECK(plot_command({path, "--runs", "1", "2", "--chart", "compare", "-o", out, "--tolerance-ms", "-1"}, o4, e4) == 2);
  CHECK_THAT(e4.str(), Catch::Matchers::Contains("--tolerance-ms"));
}
