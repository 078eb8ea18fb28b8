#pragma once
// `herd-dash plot`: the dashboard's charts and topology view saved to PNG or SVG without a
// window (docs/dashboard.md#headless-plots). Needs a QApplication (main makes one on the
// offscreen platform when none is given).
//
//   herd-dash plot DB --run N [--run M ...] --chart NAME -o FILE.png|FILE.svg
//                  [--width W] [--height H] [--server NAME] [--update U] [--at-ms T]
//                  [--colour update|staleness]
//   herd-dash plot DB --sweep NAME --chart sweep -o FILE.png|FILE.svg
//   herd-dash plot DB --runs A B --chart compare -o FILE.png|FILE.svg
//                  [--tolerance-pct P] [--tolerance-ms M]
//
// NAME is one of chart_kinds(), "topology" or "compare" (the Compare view: exactly two runs). Returns the exit status; says what is wrong
// on `err`.

#include <QStringList>
#include <cstddef>
#include <ostream>

namespace herd::gui {

inline constexpr int kPlotMinSide = 100;
inline constexpr int kPlotMaxSide = 8000;
// Cells of one sweep a plot draws at most (it reads only their summaries).
inline constexpr std::size_t kPlotMaxSweepRuns = 10'000;

int plot_command(const QStringList& args, std::ostream& out, std::ostream& err);

// Text for `herd-dash --help`.
[[nodiscard]] const char* usage();

}  // namespace herd::gui
