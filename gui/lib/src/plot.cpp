#include "herd/gui/plot.hpp"

#include <QApplication>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QVBoxLayout>
#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "herd/gui/charts.hpp"
#include "herd/gui/compare_view.hpp"
#include "herd/gui/export.hpp"
#include "herd/gui/run_data.hpp"
#include "herd/gui/topology_view.hpp"

namespace herd::gui {

const char* usage() {
  return "usage: herd-dash [RESULTS.db]\n"
         "       herd-dash plot RESULTS.db --run N [--run M ...] --chart NAME -o FILE.png|FILE.svg\n"
         "                 [--width W] [--height H] [--server NAME] [--update U] [--at-ms T]\n"
         "                 [--colour update|staleness]\n"
         "       herd-dash plot RESULTS.db --sweep NAME --chart sweep -o FILE.png|FILE.svg\n"
         "       herd-dash plot RESULTS.db --runs A B --chart compare -o FILE.png|FILE.svg\n"
         "                 [--tolerance-pct P] [--tolerance-ms M]\n"
         "charts: cdf hops staleness traffic rmr ldh convergence sweep topology compare\n";
}

namespace {

struct PlotArgs {
  QString db, chart, output;
  std::vector<std::int64_t> runs;
  QString sweep;  // --sweep: every stored cell of this sweep (name or id)
  int width = 1200, height = 700;
  QString server;
  std::optional<std::uint32_t> update;
  std::optional<double> at_ms;
  QString colour = "update";
  sim::Tolerance tolerance;  // --chart compare
};

// Parses; returns an error message or empty.
QString parse(const QStringList& args, PlotArgs& a) {
  auto number = [](const QString& flag, const QString& text, long long lo, long long hi,
                   long long& out) -> QString {
    bool ok = false;
    out = text.toLongLong(&ok);
    if (!ok || out < lo || out > hi) {
      return QString("%1 wants a whole number from %2 to %3, not '%4'").arg(flag).arg(lo).arg(hi).arg(text);
    }
    return {};
  };
  for (int i = 0; i < args.size(); ++i) {
    const QString& arg = args[i];
    auto value = [&](QString& out) -> QString {
      if (i + 1 >= args.size()) return arg + " needs a value";
      out = args[++i];
      return {};
    };
    QString v, error;
    long long n = 0;
    if (arg == "--run") {
      if (!(error = value(v)).isEmpty()) return error;
      for (const QString& part : v.split(',', Qt::SkipEmptyParts)) {
        if (!(error = number("--run", part, 1, (1LL << 62), n)).isEmpty()) return error;
        if (a.runs.size() >= 64) return "at most 64 runs in one plot";
        a.runs.push_back(n);
      }
    } else if (arg == "--runs") {
      // As herd-sim compare takes them: the next two arguments, A then B.
      for (int k = 0; k < 2; ++k) {
        if (i + 1 >= args.size() || args[i + 1].startsWith('-')) return "--runs wants two run ids, A then B";
        if (!(error = number("--runs", args[++i], 1, (1LL << 62), n)).isEmpty()) return error;
        if (a.runs.size() >= 64) return "at most 64 runs in one plot";
        a.runs.push_back(n);
      }
    } else if (arg == "--tolerance-pct" || arg == "--tolerance-ms") {
      if (!(error = value(v)).isEmpty()) return error;
      bool ok = false;
      const double t = v.toDouble(&ok);
      if (!ok || !(t >= 0) || t > 1e6) {
        return QString("%1 wants a number from 0 to 1e6, not '%2'").arg(arg, v);
      }
      (arg == "--tolerance-pct" ? a.tolerance.pct : a.tolerance.ms) = t;
    } else if (arg == "--sweep") {
      if (!(error = value(a.sweep)).isEmpty()) return error;
      if (a.sweep.isEmpty()) return "--sweep wants a sweep's name or id";
    } else if (arg == "--chart") {
      if (!(error = value(a.chart)).isEmpty()) return error;
    } else if (arg == "-o" || arg == "--output") {
      if (!(error = value(a.output)).isEmpty()) return error;
    } else if (arg == "--width" || arg == "--height") {
      if (!(error = value(v)).isEmpty()) return error;
      if (!(error = number(arg, v, kPlotMinSide, kPlotMaxSide, n)).isEmpty()) return error;
      (arg == "--width" ? a.width : a.height) = static_cast<int>(n);
    } else if (arg == "--server") {
      if (!(error = value(a.server)).isEmpty()) return error;
    } else if (arg == "--update") {
      if (!(error = value(v)).isEmpty()) return error;
      if (!(error = number(arg, v, 0, 0xffffffffLL, n)).isEmpty()) return error;
      a.update = static_cast<std::uint32_t>(n);
    } else if (arg == "--at-ms") {
      if (!(error = value(v)).isEmpty()) return error;
      bool ok = false;
      a.at_ms = v.toDouble(&ok);
      // At most a year of virtual time, so the nanoseconds fit in 64 bits.
      if (!ok || !(*a.at_ms >= 0) || *a.at_ms > 3.2e10) {
        return QString("--at-ms wants a time in ms from 0 to 3.2e10 (a year), not '%1'").arg(v);
      }
    } else if (arg == "--colour" || arg == "--color") {
      if (!(error = value(a.colour)).isEmpty()) return error;
      if (a.colour != "update" && a.colour != "staleness") {
        return QString("--colour is update or staleness, not '%1'").arg(a.colour);
      }
    } else if (arg.startsWith('-')) {
      return QString("unknown option %1").arg(arg);
    } else if (a.db.isEmpty()) {
      a.db = arg;
    } else {
      return QString("unexpected argument '%1' (one database only)").arg(arg);
    }
  }
  if (a.db.isEmpty()) return "name the results database";
  if (a.runs.empty() && a.sweep.isEmpty()) return "name at least one run with --run N (or a sweep with --sweep NAME)";
  if (!a.runs.empty() && !a.sweep.isEmpty()) return "--run and --sweep do not go together";
  if (a.chart.isEmpty()) return "name the chart with --chart";
  if (a.output.isEmpty()) return "name the output file with -o FILE.png or FILE.svg";
  if (!a.output.endsWith(".png", Qt::CaseInsensitive) && !a.output.endsWith(".svg", Qt::CaseInsensitive)) {
    return QString("%1: the output must end in .png or .svg").arg(a.output);
  }
  if (a.chart != "topology" && a.chart != "compare" && !chart_from_name(a.chart.toStdString())) {
    return QString("unknown chart '%1'").arg(a.chart);
  }
  if (a.chart == "compare" && a.runs.size() != 2) {
    return "--chart compare wants exactly two runs: --runs A B";
  }
  if (!a.sweep.isEmpty() && a.chart != "sweep") return "--sweep goes with --chart sweep";
  return {};
}

// The runs of a sweep: those whose sweep id is `name` or starts with "name@", of the newest
// such id when the sweep's files changed between runs (its id changed with them), and of
// each cell (scenario, variant, seed) the newest run, as `herd-sim sweep --report-only`
// reads them. Only the summaries are needed: no run is read whole.
std::vector<std::shared_ptr<const RunData>> sweep_runs(const sim::ResultsReader& reader,
                                                       const std::string& name, std::string& error) {
  std::vector<sim::StoredRun> all = reader.runs();
  std::string id;
  for (const auto& r : all) {
    if (r.sweep_id == name || r.sweep_id.rfind(name + "@", 0) == 0) id = r.sweep_id;  // by run_id: newest last
  }
  if (id.empty()) {
    error = reader.path().string() + " holds no run of a sweep named '" + name + "'";
    return {};
  }
  std::map<std::tuple<std::string, std::string, std::uint64_t>, std::size_t> newest;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].sweep_id == id) newest[{all[i].scenario, all[i].variant, all[i].seed}] = i;
  }
  std::vector<std::size_t> picked;
  for (const auto& [cell, i] : newest) picked.push_back(i);
  std::sort(picked.begin(), picked.end());  // run order: the sweep's cell order
  if (picked.size() > kPlotMaxSweepRuns) {
    error = "sweep " + id + " has " + std::to_string(picked.size()) + " cells; a plot draws at most " +
            std::to_string(kPlotMaxSweepRuns);
    return {};
  }
  std::vector<std::shared_ptr<const RunData>> out;
  for (std::size_t i : picked) {
    auto data = std::make_shared<RunData>();
    data->run = std::move(all[i]);
    out.push_back(std::move(data));
  }
  return out;
}

// The Compare view as the window shows it: both delay CDFs and herd-sim compare's rows.
// Returns what went wrong, or an empty string.
QString save_compare(const PlotArgs& a) {
  try {
    const sim::ResultsReader reader(a.db.toStdString());
    ComparePanel panel;
    panel.setAttribute(Qt::WA_DontShowOnScreen);
    panel.set_source(&reader, [&reader](std::int64_t id) { return load_run(reader, id); });
    panel.set_run_list(reader.runs());
    panel.set_tolerance(a.tolerance);
    // Fixed: the image has the size asked for even when the pickers would want more width.
    panel.setFixedSize(a.width, a.height);
    panel.show();
    if (QString why = panel.compare(a.runs[0], a.runs[1]); !why.isEmpty()) return why;
    QApplication::processEvents();
    return save_image(&panel, a.output);
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
}

// The sweep chart as `herd-sim sweep` drew it: both metrics, one above the other.
QString save_sweep(const std::vector<const RunData*>& runs, const PlotArgs& a) {
  QWidget page;
  page.setAttribute(Qt::WA_DontShowOnScreen);
  auto* layout = new QVBoxLayout(&page);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  for (const char* metric : kSweepMetrics) {
    ChartSpec spec;
    spec.kind = ChartKind::sweep;
    spec.sweep_metric = metric;
    auto* view = new QChartView(build_chart(spec, runs));
    view->setRenderHint(QPainter::Antialiasing);
    layout->addWidget(view);
  }
  page.resize(a.width, a.height);
  page.show();
  QApplication::processEvents();
  return save_image(&page, a.output);
}

}  // namespace

int plot_command(const QStringList& args, std::ostream& out, std::ostream& err) {
  PlotArgs a;
  if (QString error = parse(args, a); !error.isEmpty()) {
    err << "herd-dash plot: " << error.toStdString() << "\n" << usage();
    return 2;
  }
  if (a.chart == "compare") {
    if (const QString error = save_compare(a); !error.isEmpty()) {
      err << "herd-dash plot: " << error.toStdString() << "\n";
      return 1;
    }
    out << "herd-dash: wrote " << a.output.toStdString() << "\n";
    return 0;
  }
  std::vector<std::shared_ptr<const RunData>> runs;
  try {
    sim::ResultsReader reader(a.db.toStdString());
    for (auto id : a.runs) runs.push_back(load_run(reader, id));
    if (!a.sweep.isEmpty()) {
      std::string why;
      runs = sweep_runs(reader, a.sweep.toStdString(), why);
      if (runs.empty()) {
        err << "herd-dash plot: " << why << "\n";
        return 1;
      }
    }
  } catch (const std::exception& e) {
    err << "herd-dash plot: " << e.what() << "\n";
    return 1;
  }
  std::optional<std::uint32_t> server;
  if (!a.server.isEmpty()) {
    for (const auto& s : runs.front()->servers) {
      if (QString::fromStdString(s.name) == a.server || QString::number(s.server_id) == a.server) {
        server = s.server_id;
      }
    }
    if (!server) {
      err << "herd-dash plot: run " << runs.front()->run.run_id << " has no server '"
          << a.server.toStdString() << "'\n";
      return 2;
    }
  }
  QString error;
  if (a.chart == "topology") {
    TopologyPanel panel;
    panel.resize(a.width, a.height);
    // Shown first, so the run is laid out as soon as it is set (a hidden panel waits).
    panel.show();
    panel.set_run(runs.front());
    if (a.update) {
      if (*a.update >= runs.front()->updates.size()) {
        err << "herd-dash plot: run " << runs.front()->run.run_id << " has "
            << runs.front()->updates.size() << " updates; no update " << *a.update << "\n";
        return 2;
      }
      panel.select_update(*a.update);
    }
    if (a.colour == "staleness") panel.set_colour_by(TopologyPanel::ColourBy::staleness);
    if (a.at_ms) {
      // In update mode the time counts from the update's acceptance (where select_update
      // left the playback); with --colour staleness from the start of the run.
      const std::int64_t base = a.colour == "update" ? panel.time_ns() : 0;
      panel.seek(base + static_cast<std::int64_t>(*a.at_ms * 1e6));
    } else if (a.colour == "update") {
      panel.seek(std::numeric_limits<std::int64_t>::max());  // the finished spread
    }
    if (server) panel.click_server(*server);
    panel.show();
    QApplication::processEvents();
    panel.view()->fit();
    QApplication::processEvents();
    error = save_image(&panel, a.output);
  } else if (a.chart == "sweep") {
    std::vector<const RunData*> raw;
    for (const auto& r : runs) raw.push_back(r.get());
    error = save_sweep(raw, a);
  } else {
    ChartSpec spec;
    spec.kind = *chart_from_name(a.chart.toStdString());
    spec.server = server;
    std::vector<const RunData*> raw;
    for (const auto& r : runs) raw.push_back(r.get());
    QChartView view(build_chart(spec, raw));
    view.setRenderHint(QPainter::Antialiasing);
    view.resize(a.width, a.height);
    view.show();
    QApplication::processEvents();
    error = save_image(&view, a.output);
  }
  if (!error.isEmpty()) {
    err << "herd-dash plot: " << error.toStdString() << "\n";
    return 1;
  }
  out << "herd-dash: wrote " << a.output.toStdString() << "\n";
  return 0;
}

}  // namespace herd::gui
