// herd-dash: the dashboard over herd results databases (docs/dashboard.md).
//   herd-dash [RESULTS.db]           the window
//   herd-dash plot RESULTS.db ...    a chart or the topology to PNG/SVG, no window needed
#include <QApplication>
#include <QStringList>
#include <cstring>
#include <iostream>

#include "herd/gui/main_window.hpp"
#include "herd/gui/plot.hpp"

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
  return QApplication::exec();
}
