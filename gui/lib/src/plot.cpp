#include "herd/gui/plot.hpp"

#include <QApplication>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <limits>
#include <memory>
#include <vector>

#include "herd/gui/charts.hpp"
#include "herd/gui/export.hpp"
#include "herd/gui/run_data.hpp"
#include "herd/gui/topology_view.hpp"

namespace herd::gui {

const char* usage() {
  return "usage: herd-dash [RESULTS.db]\n"
         "       herd-dash plot RESULTS.db --run N [--run M ...] --chart NAME -o FILE.png|FILE.svg\n"
         "                 [--width W] [--height H] [--server NAME] [--update U] [--at-ms T]\n"
         "                 [--colour update|staleness]\n"
         "charts: cdf hops staleness traffic rmr ldh convergence topology\n";
}

namespace {

struct PlotArgs {
  QString db, chart, output;
  std::vector<std::int64_t> runs;
  int width = 1200, height = 700;
  QString server;
  std::optional<std::uint32_t> update;
  std::optional<double> at_ms;
  QString colour = "update";
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
  if (a.runs.empty()) return "name at least one run with --run N";
  if (a.chart.isEmpty()) return "name the chart with --chart";
  if (a.output.isEmpty()) return "name the output file with -o FILE.png or FILE.svg";
  if (!a.output.endsWith(".png", Qt::CaseInsensitive) && !a.output.endsWith(".svg", Qt::CaseInsensitive)) {
    return QString("%1: the output must end in .png or .svg").arg(a.output);
  }
  if (a.chart != "topology" && !chart_from_name(a.chart.toStdString())) {
    return QString("unknown chart '%1'").arg(a.chart);
  }
  return {};
}

}  // namespace

int plot_command(const QStringList& args, std::ostream& out, std::ostream& err) {
  PlotArgs a;
  if (QString error = parse(args, a); !error.isEmpty()) {
    err << "herd-dash plot: " << error.toStdString() << "\n" << usage();
    return 2;
  }
  std::vector<std::shared_ptr<const RunData>> runs;
  try {
    sim::ResultsReader reader(a.db.toStdString());
    for (auto id : a.runs) runs.push_back(load_run(reader, id));
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
