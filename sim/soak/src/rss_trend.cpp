#include "herd/sim/soak/rss_trend.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace herd::sim::soak {

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

Trend judge_rss(const std::vector<RssPoint>& series, const TrendOptions& options) {
  if (!(options.slope_limit_kib_per_min >= 0) || !(options.warmup_s >= 0) ||
      !(options.min_span_s >= 0)) {
    throw std::invalid_argument("RSS trend: the warm-up, the minimum span and the slope limit "
                                "must not be negative");
  }
  Trend trend;
  if (series.empty()) {
    trend.not_judged = "no sample";
    return trend;
  }
  trend.first_kib = series.front().rss_kib;
  const double start = series.front().t_s + options.warmup_s;
  std::vector<double> x, y;
  for (const auto& p : series) {
    if (p.t_s < start) continue;
    if (x.empty()) trend.window_first_kib = p.rss_kib;
    x.push_back(p.t_s);
    y.push_back(static_cast<double>(p.rss_kib));
    trend.max_kib = std::max(trend.max_kib, p.rss_kib);
    trend.last_kib = p.rss_kib;
  }
  trend.points = x.size();
  if (x.empty()) {
    trend.last_kib = series.back().rss_kib;
    trend.not_judged = "no sample after the warm-up";
    return trend;
  }
  trend.from_s = x.front();
  trend.to_s = x.back();
  trend.slope_kib_per_min = least_squares_slope(x, y) * 60.0;
  char why[160];
  if (x.size() < 3) {
    std::snprintf(why, sizeof why, "%zu sample(s) after the warm-up; 3 needed", x.size());
    trend.not_judged = why;
    return trend;
  }
  if (trend.to_s - trend.from_s < options.min_span_s) {
    std::snprintf(why, sizeof why, "%.1f s after the warm-up; %.1f s needed",
                  trend.to_s - trend.from_s, options.min_span_s);
    trend.not_judged = why;
    return trend;
  }
  trend.judged = true;
  trend.flat = trend.slope_kib_per_min <= options.slope_limit_kib_per_min;
  return trend;
}

}  // namespace herd::sim::soak
