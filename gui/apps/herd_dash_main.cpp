// herd-dash: the dashboard over herd results databases (docs/dashboard.md).
//   herd-dash [RESULTS.db]           the window
//   herd-dash plot RESULTS.db ...    a chart or the topology to PNG/SVG, no window needed
#include <QApplication>
#include <QElapsedTimer>
#include <QStringList>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <cstring>
#include <memory>
#include <iostream>
#include <vector>

#include "herd/gui/export.hpp"
#include "herd/gui/main_window.hpp"
#include "herd/gui/plot.hpp"
#include "herd/gui/topology_view.hpp"

int main(int argc, char** argv) {
  const bool plot = argc > 1 && std::strcmp(argv[1], "plot") == 0;
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << herd::gui::usage();
    return 0;
  }
  // Plots need no display: draw offscreen unless the caller chose a platform.
  if (plot && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("herd");
  QApplication::setApplicationName("herd-dash");
  QStringList args = QApplication::arguments();
  args.removeFirst();
  if (plot) {
    args.removeFirst();
    return herd::gui::plot_command(args, std::cout, std::cerr);
  }
  // --select 1,2 --tab NAME --screenshot FILE: open, show, save the window, quit (how the
  // documentation's pictures are made).
  QString screenshot, tab, click;  // --click NAME: click that server in the topology view
  double play_seconds = 0;  // --play N: play the topology for N s, report frames per second
  // --quit-after-open: quit as soon as the window shows the selected runs (how opening is
  // measured: run it under /usr/bin/time).
  bool quit_after_open = false;
  std::vector<std::int64_t> select;
  if (args.removeAll("--quit-after-open") > 0) quit_after_open = true;
  for (int i = 0; i + 1 < args.size();) {
    const QString flag = args[i];
    if (flag == "--screenshot") {
      screenshot = args[i + 1];
    } else if (flag == "--play") {
      play_seconds = std::clamp(args[i + 1].toDouble(), 0.0, 600.0);
    } else if (flag == "--click") {
      click = args[i + 1];
    } else if (flag == "--tab") {
      tab = args[i + 1];
    } else if (flag == "--select") {
      for (const QString& id : args[i + 1].split(',', Qt::SkipEmptyParts)) select.push_back(id.toLongLong());
    } else {
      ++i;
      continue;
    }
    args.remove(i, 2);
  }
  if (args.size() > 1) {
    std::cerr << "herd-dash: one results database at a time\n" << herd::gui::usage();
    return 2;
  }
  herd::gui::MainWindow window;
  if (!args.isEmpty()) {
    const QString error = window.open_database(args.front());
    if (!error.isEmpty()) {
      std::cerr << "herd-dash: " << error.toStdString() << "\n";
      return 1;
    }
  }
  window.show();
  if (!select.empty()) window.select_runs(select);
  for (int i = 0; i < window.tabs()->count(); ++i) {
    if (window.tabs()->tabText(i).compare(tab, Qt::CaseInsensitive) == 0) window.tabs()->setCurrentIndex(i);
  }
  if (play_seconds > 0) {
    // A benchmark: play the first selected run's flood over and over for play_seconds, then
    // say how many playback steps were taken and how many times the herd was painted (each
    // paint is a frame the view presents) per wall second.
    window.tabs()->setCurrentWidget(window.topology());
    auto* topology = window.topology();
    auto start = std::make_shared<QElapsedTimer>();
    auto first = std::make_shared<std::pair<std::uint64_t, std::uint64_t>>();
    auto* again = new QTimer(&window);
    again->setInterval(20);
    QObject::connect(again, &QTimer::timeout, topology, [topology] {
      if (!topology->playing()) topology->play();  // from the start once it reached the end
    });
    QTimer::singleShot(300, &window, [=] {
      *first = {topology->steps(), topology->graph() ? topology->graph()->paints() : 0};
      start->start();
      topology->play();
      again->start();
    });
    QTimer::singleShot(300 + static_cast<int>(play_seconds * 1000), &window, [=] {
      const double s = static_cast<double>(start->elapsed()) / 1000.0;
      const std::uint64_t steps = topology->steps() - first->first;
      const std::uint64_t painted = (topology->graph() ? topology->graph()->paints() : 0) - first->second;
      std::cerr << "herd-dash: playback over " << s << " s: " << static_cast<double>(steps) / s
                << " steps/s, " << static_cast<double>(painted) / s << " frames/s painted\n";
      QApplication::exit(0);
    });
  }
  if (quit_after_open) {
    QTimer::singleShot(0, &window, [&window] {
      window.repaint();  // every visible view painted with its data, synchronously
      QApplication::exit(0);
    });
  }
  if (!click.isEmpty()) {
    QTimer::singleShot(300, &window, [&window, click] {
      auto* topology = window.topology();
      if (!topology->run()) return;
      const auto& servers = topology->run()->servers;
      for (std::uint32_t s = 0; s < servers.size(); ++s) {
        if (QString::fromStdString(servers[s].name) == click) topology->click_server(s);
      }
    });
  }
  if (!screenshot.isEmpty()) {
    QTimer::singleShot(800, &window, [&window, screenshot] {
      const QString error = herd::gui::save_image(&window, screenshot);
      if (!error.isEmpty()) std::cerr << "herd-dash: " << error.toStdString() << "\n";
      QApplication::exit(error.isEmpty() ? 0 : 1);
    });
  }
  return QApplication::exec();
}
