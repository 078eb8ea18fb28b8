#pragma once
// Latency samples and their summary, plus the clock every measurement uses.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace herd::bench {

using Clock = std::chrono::steady_clock;

// Keeps up to a fixed number of samples so a long run cannot exhaust memory; past the cap
// it keeps every k-th sample, which leaves the percentiles of a steady load unbiased.
class LatencySamples {
 public:
  explicit LatencySamples(std::size_t max_samples = 2'000'000) : max_samples_(max_samples) {}

  void add(std::int64_t ns);
  void merge(const LatencySamples& other);
  [[nodiscard]] std::size_t size() const noexcept { return samples_ns_.size(); }
  [[nodiscard]] std::uint64_t seen() const noexcept { return seen_; }

  // p50/p90/p99/max/mean in microseconds; {"count": 0} when empty.
  [[nodiscard]] boost::json::object summary_us() const;
  // The q-quantile (0..1) in microseconds, nearest rank; 0 when empty.
  [[nodiscard]] double quantile_us(double q) const;

 private:
  std::vector<std::int64_t> samples_ns_;
  std::size_t max_samples_;
  std::uint64_t seen_ = 0;
  std::uint64_t stride_ = 1;
  mutable bool sorted_ = true;
  mutable std::vector<std::int64_t> sorted_ns_;
  void sort_if_needed() const;
};

// One line of JSON with plain decimals ("3624.5", not Boost.JSON's "3.6245E3"), so the
// record reads well to people and to any parser.
[[nodiscard]] std::string to_json_line(const boost::json::value& value);

[[nodiscard]] inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace herd::bench
