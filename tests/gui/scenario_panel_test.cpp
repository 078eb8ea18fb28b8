// Running a scenario from the dashboard (gui/lib/src/scenario_panel.cpp): mistakes are shown
// at their line and column, a run goes into the open database and appears in the runs
// table, and a cancelled run stores nothing.
#include "herd/gui/scenario_panel.hpp"

#include <QApplication>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <catch2/catch.hpp>

#include "dash_fixture.hpp"
#include "herd/gui/main_window.hpp"
#include "herd/gui/runs_model.hpp"

using namespace herd::gui;

namespace {
bool wait_until(const std::function<bool()>& done, int ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 50);
  return done();
}
}  // namespace

TEST_CASE("the scenario editor shows a mistake at its line and column", "[gui][scenario]") {
  ScenarioPanel panel;
  QString text = herd::testing::kDashScenario;
  text.replace("duration = \"5s\"", "duration = \"5 parsecs\"");
  panel.set_text(text, "broken.toml");
  const QString error = panel.check();
  // The duration is on line 5 of the text (it starts with a newline), its value at column 12.
  CHECK(error.startsWith("5:12: "));
  CHECK(error.contains("duration"));
  auto* editor = panel.findChild<QPlainTextEdit*>();
  REQUIRE(editor != nullptr);
  CHECK(editor->textCursor().blockNumber() == 4);
  CHECK(editor->extraSelections().size() == 1);

  panel.set_text(herd::testing::kDashScenario, "dash-test.toml");
  CHECK(panel.check().isEmpty());
  CHECK(editor->extraSelections().isEmpty());
  CHECK_FALSE(panel.run());  // no database to store into
}

TEST_CASE("a scenario run from the window is stored and selected", "[gui][scenario]") {
  herd::testing::DashDb db;
  MainWindow window;
  REQUIRE(window.open_database(QString::fromStdString(db.path.string())).isEmpty());
  ScenarioPanel* panel = window.scenario_panel();
  std::int64_t stored = 0;
  QObject::connect(panel, &ScenarioPanel::stored, [&](std::int64_t id) { stored = id; });
  panel->set_text(herd::testing::kDashScenario, "dash-test.toml");
  REQUIRE(panel->run());
  CHECK(panel->running());
  REQUIRE(wait_until([&] { return stored != 0; }, 60'000));
  CHECK(window.runs_model()->rowCount() == 4);
  CHECK(window.selected_run_ids() == std::vector<std::int64_t>{stored});
  // The same scenario and seed as the fixture's first run: the same run, bit for bit.
  herd::sim::ResultsReader reader(db.path);
  CHECK(reader.run(stored)->fingerprint == reader.run(db.runs[0])->fingerprint);
  CHECK(reader.run(stored)->herd_version.size() > 0);
}

TEST_CASE("a cancelled scenario run stores nothing", "[gui][scenario]") {
  herd::testing::DashDb db;
  ScenarioPanel panel;
  panel.set_database(QString::fromStdString(db.path.string()));
  QString text = herd::testing::kDashScenario;
  text.replace("duration = \"5s\"", "duration = \"600s\"").replace("end = \"4s\"", "end = \"590s\"");
  panel.set_text(text, "long.toml");
  REQUIRE(panel.run());
  panel.cancel();
  ScenarioRunResult result = panel.wait();
  CHECK(result.cancelled);
  CHECK(result.run_id == 0);
  CHECK(herd::sim::ResultsReader(db.path).runs().size() == 3);
}
