#pragma once
// The dashboard's charts, built with Qt Charts from the pure data of chart_data.hpp. The
// window and `herd-dash plot` call the same builders, so a saved plot shows what the window
// shows. Every series gets a hover read-out (a tooltip naming the run and the values).

#include <QColor>
#include <QString>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herd/gui/chart_data.hpp"
#include "herd/gui/run_data.hpp"

class QChart;

namespace herd::gui {

enum class ChartKind { cdf, hops, staleness, traffic, rmr, ldh, convergence, sweep };

struct ChartInfo {
  ChartKind kind;
  const char* name;   // for `herd-dash plot --chart`
  const char* title;  // chart title
  const char* tab;    // short, for the window's tab
};
[[nodiscard]] const std::vector<ChartInfo>& chart_kinds();
[[nodiscard]] std::optional<ChartKind> chart_from_name(std::string_view name);
[[nodiscard]] const ChartInfo& chart_info(ChartKind kind);

struct ChartSpec {
  ChartKind kind = ChartKind::cdf;
  std::optional<std::uint32_t> server;  // staleness: one server instead of the herd
  std::size_t max_points = 4000;        // per drawn line (the data keeps every point)
  // sweep: the summary metric drawn, one of kSweepMetrics.
  std::string sweep_metric = "messages_per_update";
};

// The sweep chart's metrics: peer lines per update and p99 propagation delay (the two
// panels of `herd-dash plot --chart sweep`).
inline constexpr const char* kSweepMetrics[] = {"messages_per_update", "propagation_p99_ms"};

// A new chart for `runs` (the caller owns it). Empty runs give a chart that says so.
[[nodiscard]] QChart* build_chart(const ChartSpec& spec, const std::vector<const RunData*>& runs);

// The Compare view's chart: the propagation-delay CDFs of runs A and B overlaid, each line
// named by compare_label. A null run gives a chart that asks for two.
[[nodiscard]] QChart* build_compare_chart(const RunData* a, const RunData* b,
                                          std::size_t max_points = 4000);
// "A: run 3, live, winter2023-outage, flood, seed 1" (which is 'A' or 'B').
[[nodiscard]] std::string compare_label(char which, const RunData& run);

// The chart's data, every point, for CSV export.
[[nodiscard]] Table chart_table(const ChartSpec& spec, const std::vector<const RunData*>& runs);

// The colour of the i-th run or series (a palette readable on white and by most
// colour-blind readers).
[[nodiscard]] QColor series_colour(std::size_t i);

}  // namespace herd::gui
