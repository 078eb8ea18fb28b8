#pragma once
// Latency samples and their summary, plus the clock every measurement uses.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "herd/sim/load/histogram.hpp"

namespace herd::bench {

using Clock = std::chrono::steady_clock;

// Latencies in herd-load's log-bucketed histogram (docs/herd-load.md): fixed memory however
// long the run, every sample counted, percentiles at most 1/128 above the exact value.
class LatencySamples {
 public:
  void add(std::int64_t ns) { histogram_.record(ns < 0 ? 0 : static_cast<std::uint64_t>(ns)); }
  void merge(const LatencySamples& other) { histogram_.merge(other.histogram_); }
  [[nodiscard]] std::uint64_t size() const noexcept { return histogram_.count(); }

  // p50/p90/p99/max/mean in microseconds; {"count": 0} when empty.
  [[nodiscard]] boost::json::object summary_us() const;
  // The q-quantile (0..1) in microseconds, nearest rank; 0 when empty.
  [[nodiscard]] double quantile_us(double q) const;

 private:
  herd::sim::load::Histogram histogram_;
};

// One line of JSON with plain decimals ("3624.5", not Boost.JSON's "3.6245E3"), so the
// record reads well to people and to any parser (herd-load's writer, shared).
[[nodiscard]] std::string to_json_line(const boost::json::value& value);

[[nodiscard]] inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace herd::bench
