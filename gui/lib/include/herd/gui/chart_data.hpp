#pragma once
// The numbers behind every dashboard chart, as pure functions of stored runs (no Qt, no
// window): the chart builders (charts.hpp) only draw what these return, and the tests check
// these against the metric definitions of docs/metrics.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "herd/gui/run_data.hpp"

namespace herd::gui {

struct Point {
  double x = 0, y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

struct Line {
  std::string name;
  std::vector<Point> points;
  std::size_t total = 0;  // points of the whole line, before any thinning
};

// Propagation delays in ms over (update, server != origin), sorted: exactly the rows the
// summary's propagation percentiles are taken over (docs/metrics.md#propagation-delay).
[[nodiscard]] std::vector<double> propagation_delays_ms(const RunData& run);

// The empirical CDF of propagation delay: one point (delay_ms, i / n) per delay, i = 1..n,
// in order, so the i-th point's y is the fraction of deliveries no later than its x.
[[nodiscard]] Line delay_cdf(const RunData& run);
// The same line thinned to at most `max_points` (as thin_out would), taken from the delays
// worked out when the run was loaded (RunData::delays_ms, computed here when absent) without
// building the full line first.
[[nodiscard]] Line delay_cdf(const RunData& run, std::size_t max_points);

// The nearest-rank percentile (0 < p <= 100) of sorted values, as the summary computes it.
[[nodiscard]] double nearest_rank(const std::vector<double>& sorted, double p);

// At most `max_points` of a monotone line, evenly by index, first and last kept: what a
// chart draws of a million-point CDF. Returns the line unchanged when it is short enough.
[[nodiscard]] Line thin_out(const Line& line, std::size_t max_points);

// Propagation delay by hop distance (direct deliveries to servers other than the origin,
// grouped by the hops the update travelled).
struct HopDelay {
  std::uint32_t hops = 0;
  std::size_t count = 0;
  double p50_ms = 0, p95_ms = 0, max_ms = 0, mean_ms = 0;
};
[[nodiscard]] std::vector<HopDelay> delay_by_hops(const RunData& run);

// Staleness over virtual time (x in s, y in ms): for one server its own max and mean; for
// the herd (no server) at each sample time the max over servers of max_ns and the mean over
// servers of mean_ns.
struct StalenessLines {
  Line max, mean;
};
[[nodiscard]] StalenessLines staleness_lines(const RunData& run,
                                             std::optional<std::uint32_t> server = std::nullopt);

// Fault intervals in s of virtual time; a permanent fault (duration 0) lasts to the end of
// the run (duration + drain).
struct FaultBand {
  double from_s = 0, to_s = 0;
  std::string label;  // "crash D"
  std::string kind;
};
[[nodiscard]] std::vector<FaultBand> fault_bands(const RunData& run);

// Peer lines per accepted update, by message kind, for each run (greetings excluded: they
// are link set-up, not propagation). values[k][r] for kinds[k] and runs[r].
struct KindBars {
  std::vector<std::string> runs;
  std::vector<std::string> kinds;  // in the order of the first run's traffic, then others
  std::vector<std::vector<double>> values;
};
[[nodiscard]] KindBars traffic_per_update(const std::vector<const RunData*>& runs);

// One summary metric across runs, grouped by (scenario, strategy or variant): the spread
// over a group's seeds. Runs that lack the metric are left out of their group (counted in
// missing).
struct Spread {
  std::string group;
  std::vector<double> values;  // sorted
  std::vector<std::int64_t> run_ids;
  std::size_t missing = 0;
  double min = 0, q1 = 0, median = 0, q3 = 0, max = 0, mean = 0;
};
[[nodiscard]] std::vector<Spread> metric_spread(const std::vector<const sim::StoredRun*>& runs,
                                                const std::string& metric);

// A sweep's headline metric per (scenario, variant), the mean over the seeds stored: the
// numbers of `herd-sim sweep`'s table (`messages_per_update` is its "lines/update" column,
// `propagation_p99_ms` its "p99 ms"). Scenarios and variants (the strategy outside a sweep)
// in order of their first run.
struct SweepBars {
  std::string metric;
  std::vector<std::string> scenarios, variants;
  // mean[v][s] over the runs of variants[v] in scenarios[s] that stored the metric;
  // nullopt when there are none. runs[v][s] counts those runs.
  std::vector<std::vector<std::optional<double>>> mean;
  std::vector<std::vector<std::size_t>> runs;
};
[[nodiscard]] SweepBars sweep_bars(const std::vector<const sim::StoredRun*>& runs,
                                   const std::string& metric);

// A chart's data as a table, for CSV export.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
[[nodiscard]] std::string to_csv(const Table& table);

}  // namespace herd::gui
