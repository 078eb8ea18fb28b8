// The RSS flatness check on series made up for it: flat ones pass, leaking ones fail, the
// warm-up is left out of the fit, and windows too short are not judged.
#include <catch2/catch.hpp>

#include <cmath>

#include "herd/sim/soak/rss_trend.hpp"

using namespace herd::sim::soak;

namespace {

// One sample every 10 s for `minutes`, base + rate_kib_per_min * t + a fixed wobble.
std::vector<RssPoint> series(double minutes, double base, double rate_kib_per_min,
                             double wobble_kib = 0) {
  std::vector<RssPoint> out;
  for (int i = 0; i * 10 <= minutes * 60; ++i) {
    const double t = i * 10.0;
    const double wobble = (i % 3 == 0 ? 1 : i % 3 == 1 ? -1 : 0) * wobble_kib;
    out.push_back(RssPoint{t, static_cast<std::uint64_t>(base + rate_kib_per_min * t / 60 + wobble)});
  }
  return out;
}

const TrendOptions kOptions{150, 150, 256};

}  // namespace

TEST_CASE("soak rss: the least-squares slope of a straight line is its slope") {
  CHECK(least_squares_slope({0, 1, 2, 3}, {5, 7, 9, 11}) == Approx(2.0));
  CHECK(least_squares_slope({0, 1, 2}, {4, 4, 4}) == Approx(0.0));
  CHECK(least_squares_slope({1}, {3}) == 0.0);
  CHECK(least_squares_slope({2, 2, 2}, {1, 2, 3}) == 0.0);  // no spread in x
}

TEST_CASE("soak rss: a flat series with allocator noise is flat") {
  const Trend t = judge_rss(series(10, 9000, 0, 300), kOptions);
  CHECK(t.judged);
  CHECK(t.flat);
  CHECK(std::abs(t.slope_kib_per_min) < 60);
  CHECK(t.from_s == 150);
  CHECK(t.to_s == 600);
  CHECK(t.points == 46);
  CHECK(t.first_kib == 9300);
}

TEST_CASE("soak rss: a steady leak fails the check, one just under the limit passes") {
  const Trend leak = judge_rss(series(10, 9000, 1024), kOptions);
  CHECK(leak.judged);
  CHECK_FALSE(leak.flat);
  CHECK(leak.slope_kib_per_min == Approx(1024).epsilon(0.01));
  CHECK(leak.last_kib > leak.window_first_kib);

  const Trend slow = judge_rss(series(10, 9000, 200), kOptions);
  CHECK(slow.judged);
  CHECK(slow.flat);
  const Trend over = judge_rss(series(10, 9000, 300), kOptions);
  CHECK_FALSE(over.flat);
}

TEST_CASE("soak rss: growth during the warm-up is not held against the process") {
  // Fast growth for the first two minutes (the working set filling), flat afterwards.
  std::vector<RssPoint> s;
  for (int i = 0; i <= 60; ++i) {
    const double t = i * 10.0;
    s.push_back(RssPoint{t, static_cast<std::uint64_t>(t < 120 ? 4000 + 40 * t : 8800)});
  }
  CHECK(judge_rss(s, kOptions).flat);
  // Without the warm-up the same series looks like a leak.
  CHECK_FALSE(judge_rss(s, TrendOptions{0, 150, 256}).flat);
}

TEST_CASE("soak rss: too short a window is not judged, and says why") {
  const Trend few = judge_rss({{0, 1}, {200, 2}}, kOptions);
  CHECK_FALSE(few.judged);
  CHECK(few.flat);
  CHECK(few.not_judged == "1 sample(s) after the warm-up; 3 needed");
  const Trend narrow = judge_rss(series(4, 9000, 5000), kOptions);  // 90 s after the warm-up
  CHECK_FALSE(narrow.judged);
  CHECK(narrow.not_judged == "90.0 s after the warm-up; 150.0 s needed");
  CHECK_FALSE(judge_rss({}, kOptions).judged);
  CHECK(judge_rss({{0, 5}}, kOptions).not_judged == "no sample after the warm-up");
  CHECK_THROWS_AS(judge_rss({}, TrendOptions{0, 0, -1}), std::invalid_argument);
}
