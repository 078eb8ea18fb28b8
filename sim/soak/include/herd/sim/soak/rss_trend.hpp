#pragma once
// Whether a process's resident memory stays flat over a soak (docs/soak.md#rss-flatness).
//
// The series of one process (one herd-server incarnation: a restart starts a new series) is
// cut after a warm-up counted from its first sample, and a least-squares line is fitted to
// what remains. The process is flat when the line's slope stays at or under a limit in KiB
// per minute. A window too short to say anything (fewer than three samples, or a span under
// the minimum) is not judged, and the reason is given.

#include <cstdint>
#include <string>
#include <vector>

namespace herd::sim::soak {

struct RssPoint {
  double t_s = 0;              // seconds since the soak's time 0
  std::uint64_t rss_kib = 0;   // VmRSS
};

struct TrendOptions {
  double warmup_s = 0;                  // skipped after the process's first sample
  double min_span_s = 0;                // the window must span at least this long
  double slope_limit_kib_per_min = 0;   // flat: slope <= this
};

struct Trend {
  bool judged = false;
  std::string not_judged;        // why, when !judged
  std::size_t points = 0;        // in the fitted window
  double from_s = 0, to_s = 0;   // the window
  double slope_kib_per_min = 0;  // of the least-squares line
  std::uint64_t first_kib = 0;   // first sample of the whole series
  std::uint64_t window_first_kib = 0, last_kib = 0, max_kib = 0;
  bool flat = true;              // judged and within the limit, or not judged
};

// The series must be in time order. Throws std::invalid_argument for a negative limit.
[[nodiscard]] Trend judge_rss(const std::vector<RssPoint>& series, const TrendOptions& options);

// The least-squares slope of y over x (0 for fewer than two distinct x).
[[nodiscard]] double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace herd::sim::soak
