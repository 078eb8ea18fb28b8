// The window against a database written by real runs: the runs table (sorting, filtering,
// selection, reload when runs are added to the file), and a smoke test that every chart, the
// topology and the Compare view draw something, in the window and through `herd-dash plot`.
#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QStandardItemModel>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <catch2/catch.hpp>
#include <sstream>

#include "dash_fixture.hpp"
#include "herd/gui/compare_view.hpp"
#include "herd/gui/main_window.hpp"
#include "herd/gui/plot.hpp"
#include "herd/gui/runs_model.hpp"
#include "herd/gui/topology_view.hpp"
#include "herd/sim/sweep.hpp"

using namespace herd::gui;

namespace {

// How much of an image is drawn: distinct colours, and the fraction of pixels that differ
// from the most common one (the background).
struct Ink {
  int colours = 0;
  double drawn = 0;
};
Ink ink(const QImage& image) {
  QHash<QRgb, int> counts;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) ++counts[image.pixel(x, y)];
  }
  int most = 0;
  for (int c : counts) most = std::max(most, c);
  const double total = static_cast<double>(image.width()) * image.height();
  return Ink{static_cast<int>(counts.size()), total > 0 ? 1.0 - most / total : 0};
}

void settle() {
  for (int i = 0; i < 5; ++i) QApplication::processEvents();
}

bool wait_for(const std::function<bool()>& done, int ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < ms) {
    QApplication::processEvents(QEventLoop::AllEvents, 50);
  }
  return done();
}

}  // namespace

TEST_CASE("the runs table lists, sorts and filters a database's runs", "[gui][window]") {
  herd::testing::DashDb db;
  MainWindow window;
  REQUIRE(window.open_database(QString::fromStdString(db.path.string())).isEmpty());
  RunsModel* model = window.runs_model();
  REQUIRE(model->rowCount() == 3);
  CHECK(model->columnCount() == RunsModel::kColumns);
  CHECK(model->data(model->index(2, RunsModel::kStrategy)).toString() == "gossip");
  CHECK(model->data(model->index(0, RunsModel::kScenario)).toString() == "dash-test");
  CHECK(model->data(model->index(1, RunsModel::kSeed)).toULongLong() == 2);
  CHECK(model->data(model->index(0, RunsModel::kUpdates)).toDouble() > 10);
  // The newest run starts selected.
  CHECK(window.selected_run_ids() == std::vector<std::int64_t>{db.runs[2]});

  // Numeric sort: by p99, descending.
  QSortFilterProxyModel* proxy = window.runs_proxy();
  window.runs_table()->sortByColumn(RunsModel::kP99, Qt::DescendingOrder);
  for (int r = 1; r < proxy->rowCount(); ++r) {
    CHECK(proxy->index(r - 1, RunsModel::kP99).data().toDouble() >= proxy->index(r, RunsModel::kP99).data().toDouble());
  }
  window.filter_box()->setText("GOSSIP");
  REQUIRE(proxy->rowCount() == 1);
  CHECK(proxy->index(0, RunsModel::kRunId).data().toLongLong() == db.runs[2]);
  window.filter_box()->setText("");
  CHECK(proxy->rowCount() == 3);

  window.select_runs({db.runs[0], db.runs[1]});
  CHECK(window.selected_run_ids() == std::vector<std::int64_t>{db.runs[0], db.runs[1]});

  // A bad file is refused with its reason, and the open one stays.
  auto junk = db.dir.write("junk.db", "not a database");
  CHECK_FALSE(window.open_database(QString::fromStdString(junk.string())).isEmpty());
  CHECK(model->rowCount() == 3);
}

TEST_CASE("the window picks up runs stored into its file while it is open", "[gui][window]") {
  herd::testing::DashDb db;
  MainWindow window;
  REQUIRE(window.open_database(QString::fromStdString(db.path.string())).isEmpty());
  window.select_runs({db.runs[0]});
  REQUIRE(window.runs_model()->rowCount() == 3);
  const auto added = herd::testing::store_dash_run(db.path, {"scenario.seed=9"});
  CHECK(wait_for([&] { return window.runs_model()->rowCount() == 4; }, 10'000));
  CHECK(window.runs_model()->row_of(added) == 3);
  CHECK(window.selected_run_ids() == std::vector<std::int64_t>{db.runs[0]});
}

TEST_CASE("every chart and the topology view draw in the window", "[gui][window][smoke]") {
  herd::testing::DashDb db;
  MainWindow window;
  window.resize(1400, 850);
  REQUIRE(window.open_database(QString::fromStdString(db.path.string())).isEmpty());
  window.select_runs(db.runs);
  window.show();
  settle();
  QTabWidget* tabs = window.tabs();
  // Every chart and the topology, the Compare view; then the message sequence
  // (sequence_view_test.cpp: these runs have no trace) and the scenario editor
  // (scenario_panel_test.cpp).
  REQUIRE(tabs->count() == static_cast<int>(chart_kinds().size()) + 4);
  for (int i = 0; i < static_cast<int>(chart_kinds().size()) + 1; ++i) {
    tabs->setCurrentIndex(i);
    settle();
    QWidget* page = tabs->currentWidget();
    QImage image = page->grab().toImage();
    INFO("tab " << tabs->tabText(i).toStdString());
    Ink drawn = ink(image);
    CHECK(drawn.colours > 20);
    CHECK(drawn.drawn > 0.02);
    if (auto* panel = qobject_cast<ChartPanel*>(page)) {
      QChart* chart = panel->view()->chart();
      REQUIRE(chart != nullptr);
      CHECK_FALSE(chart->series().isEmpty());
    }
  }
  // The Compare view, of two of the runs.
  window.select_runs({db.runs[0], db.runs[2]});
  tabs->setCurrentWidget(window.compare_panel());
  settle();
  {
    ComparePanel* compare = window.compare_panel();
    REQUIRE(tabs->indexOf(compare) == static_cast<int>(chart_kinds().size()) + 1);
    Ink drawn = ink(compare->grab().toImage());
    CHECK(drawn.colours > 20);
    CHECK(drawn.drawn > 0.02);
    CHECK(compare->view()->chart()->series().size() == 2);
    CHECK(compare->model()->rowCount() > 10);
    // The table shows its rows: part of the panel's image is the table's.
    CHECK(ink(compare->table_view()->viewport()->grab().toImage()).colours > 20);
  }
  window.select_runs(db.runs);
  // The topology: play an update to its end, click a server.
  TopologyPanel* topo = window.topology();
  tabs->setCurrentWidget(topo);
  topo->select_update(0);
  topo->play();
  CHECK(topo->playing());
  CHECK(wait_for([&] { return !topo->playing(); }, 20'000));
  CHECK(topo->state().holders > 1);
  CHECK(topo->frame_rate() > 0);
  topo->click_server(4);
  CHECK(topo->clicked_server() == 4u);
  // Its record table: one row per client it stored an update of by now.
  const auto records = server_records(*topo->run(), 4, topo->time_ns());
  CHECK_FALSE(records.empty());
  CHECK(topo->records()->rowCount() == static_cast<int>(records.size()));
  // A click on a link's middle, away from any server, shows the link's traffic.
  HerdGraphItem* graph = topo->graph();
  bool clicked_a_link = false;
  for (const auto& edge : topo->run()->edges) {
    const auto& pa = graph->positions()[edge.a];
    const auto& pb = graph->positions()[edge.b];
    const QPointF middle((pa.x + pb.x) / 2, (pa.y + pb.y) / 2);
    if (graph->server_at(middle)) continue;
    const auto link = graph->link_at(middle);
    REQUIRE(link);
    topo->click_link(link->first, link->second);
    REQUIRE(topo->clicked_link());
    CHECK(topo->link_info()->text().contains(" lines, "));
    clicked_a_link = true;
    break;
  }
  CHECK(clicked_a_link);
  topo->set_colour_by(TopologyPanel::ColourBy::staleness);
  topo->seek(1'500'000'000);
  settle();
  CHECK(ink(topo->grab().toImage()).colours > 20);
}

TEST_CASE("herd-dash plot writes every chart as PNG and SVG", "[gui][plot]") {
  herd::testing::DashDb db;
  const QString path = QString::fromStdString(db.path.string());
  std::vector<std::string> names;
  for (const auto& info : chart_kinds()) names.push_back(info.name);
  names.push_back("topology");
  names.push_back("compare");  // the two runs below, A then B
  for (const auto& name : names) {
    for (const char* ext : {"png", "svg"}) {
      INFO(name << "." << ext);
      const QString out = QString::fromStdString((db.dir.path() / (name + "." + ext)).string());
      std::ostringstream o, e;
      QStringList args{path, "--run", QString::number(db.runs[0]), "--run", QString::number(db.runs[2]),
                       "--chart", QString::fromStdString(name), "-o", out, "--width", "800", "--height", "500"};
      REQUIRE(plot_command(args, o, e) == 0);
      CHECK(e.str().empty());
      QFile file(out);
      REQUIRE(file.open(QIODevice::ReadOnly));
      const QByteArray bytes = file.readAll();
      if (std::string(ext) == "png") {
        QImage image;
        REQUIRE(image.loadFromData(bytes, "PNG"));
        CHECK(image.width() == 800);
        CHECK(image.height() == 500);
        Ink drawn = ink(image);
        CHECK(drawn.colours > 20);
        CHECK(drawn.drawn > 0.02);
      } else {
        CHECK(bytes.contains("<svg"));
        CHECK(bytes.size() > 2000);
      }
    }
  }
}

TEST_CASE("herd-dash plot says what is wrong with its arguments", "[gui][plot]") {
  herd::testing::DashDb db;
  const QString path = QString::fromStdString(db.path.string());
  auto run = [&](const QStringList& args) {
    std::ostringstream o, e;
    int status = plot_command(args, o, e);
    return std::make_pair(status, e.str());
  };
  auto [s1, e1] = run({path, "--chart", "cdf", "-o", "x.png"});
  CHECK(s1 == 2);
  CHECK_THAT(e1, Catch::Contains("--run"));
  auto [s2, e2] = run({path, "--run", "1", "--chart", "pie", "-o", "x.png"});
  CHECK(s2 == 2);
  CHECK_THAT(e2, Catch::Contains("unknown chart 'pie'"));
  auto [s3, e3] = run({path, "--run", "1", "--chart", "cdf", "-o", "x.jpg"});
  CHECK(s3 == 2);
  CHECK_THAT(e3, Catch::Contains(".png or .svg"));
  auto [s4, e4] = run({path, "--run", "99", "--chart", "cdf", "-o", "x.png"});
  CHECK(s4 == 1);
  CHECK_THAT(e4, Catch::Contains("no run 99"));
  auto [s5, e5] = run({path, "--run", "1", "--chart", "cdf", "-o", "x.png", "--width", "5"});
  CHECK(s5 == 2);
  CHECK_THAT(e5, Catch::Contains("--width"));
  auto [s6, e6] = run({path, "--run", "1", "--chart", "staleness", "-o", "x.png", "--server", "nobody"});
  CHECK(s6 == 2);
  CHECK_THAT(e6, Catch::Contains("no server 'nobody'"));
  auto [s7, e7] = run({path, "--run", "1", "--chart", "topology", "-o", "x.png", "--at-ms", "1e300"});
  CHECK(s7 == 2);
  CHECK_THAT(e7, Catch::Contains("--at-ms"));
  auto [s8, e8] = run({path, "--run", "1", "--chart", "topology", "-o", "x.png", "--update", "100000"});
  CHECK(s8 == 2);
  CHECK_THAT(e8, Catch::Contains("no update 100000"));
}

TEST_CASE("herd-dash plot draws a whole sweep from its name", "[gui][plot][sweep]") {
  herd::testing::TempDir dir{"herd-dash-sweep"};
  const auto db = dir.path() / "sweep.db";
  herd::sim::SweepOptions options;
  options.db = db;
  options.jobs = 2;
  const auto cells = herd::sim::run_sweep(
      herd::sim::load_sweep(std::filesystem::path(HERD_SWEEP_TEST_DIR) / "tiny.toml"), options);
  REQUIRE(cells.size() == 12);
  const QString path = QString::fromStdString(db.string());
  auto plot = [&](const QStringList& args) {
    std::ostringstream o, e;
    const int status = plot_command(args, o, e);
    return std::make_pair(status, e.str());
  };
  const QString svg = QString::fromStdString((dir.path() / "sweep.svg").string());
  REQUIRE(plot({path, "--sweep", "tiny", "--chart", "sweep", "-o", svg}).first == 0);
  QFile file(svg);
  REQUIRE(file.open(QIODevice::ReadOnly));
  const QByteArray bytes = file.readAll();
  // Both panels, every scenario and variant named.
  for (const char* text : {"peer lines per update", "p99 propagation delay", "flood", "gossip f=1+AE",
                           "plumtree+AE", cells.front().scenario.c_str(), cells.back().scenario.c_str()}) {
    INFO(text);
    CHECK(bytes.contains(text));
  }
  const QString png = QString::fromStdString((dir.path() / "sweep.png").string());
  REQUIRE(plot({path, "--sweep", "tiny", "--chart", "sweep", "-o", png, "--width", "700", "--height", "800"}).first == 0);
  QImage image(png);
  CHECK(image.width() == 700);
  CHECK(image.height() == 800);
  CHECK(ink(image).colours > 20);

  auto [s1, e1] = plot({path, "--sweep", "nosuch", "--chart", "sweep", "-o", png});
  CHECK(s1 == 1);
  CHECK_THAT(e1, Catch::Contains("no run of a sweep named 'nosuch'"));
  auto [s2, e2] = plot({path, "--sweep", "tiny", "--chart", "cdf", "-o", png});
  CHECK(s2 == 2);
  CHECK_THAT(e2, Catch::Contains("--sweep goes with --chart sweep"));
  auto [s3, e3] = plot({path, "--sweep", "tiny", "--run", "1", "--chart", "sweep", "-o", png});
  CHECK(s3 == 2);
  CHECK_THAT(e3, Catch::Contains("do not go together"));
}
