#pragma once
// A latency histogram in the style of HdrHistogram: log-bucketed, fixed memory, bounded
// relative error. Values are unsigned 64-bit integers (herd-load records nanoseconds).
//
// Buckets: values below 2·S (S = 2^kSubBucketBits = 128) each have a bucket of their own,
// so they are exact; above that every power of two [2^k, 2^(k+1)) is cut into S equal
// buckets. A bucket's width is therefore at most 1/S of its lowest value, and a quantile
// reported as its bucket's highest value lies in [exact, exact · (1 + 1/S)]. The whole
// 64-bit range takes (65 − 7) · 128 = 7,424 counters, about 58 KiB, whatever the count.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace herd::sim::load {

class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  static constexpr std::size_t kBuckets = (65 - kSubBucketBits) * kSubBuckets;

  Histogram();

  void record(std::uint64_t value) noexcept;
  void merge(const Histogram& other) noexcept;
  void reset() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] double mean() const noexcept;

  // Nearest-rank quantile, q in [0, 1]: the value at rank ceil(q·N) of the N recorded values
  // sorted ascending (rank 1 for q = 0), reported as the highest value of its bucket, clamped
  // to [min, max]. Exact below 256 and for q = 1 (the max); otherwise at most 1/128 above
  // the exact value. 0 when nothing was recorded.
  [[nodiscard]] std::uint64_t quantile(double q) const noexcept;

  // The bucket a value falls in, and the value range a bucket covers (for tests and tools).
  [[nodiscard]] static std::size_t bucket_of(std::uint64_t value) noexcept;
  [[nodiscard]] static std::uint64_t bucket_low(std::size_t bucket) noexcept;
  [[nodiscard]] static std::uint64_t bucket_high(std::size_t bucket) noexcept;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace herd::sim::load
