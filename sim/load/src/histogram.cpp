#include "herd/sim/load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace herd::sim::load {

Histogram::Histogram() : counts_(kBuckets, 0) {}

std::size_t Histogram::bucket_of(std::uint64_t value) noexcept {
  if (value < 2 * kSubBuckets) return static_cast<std::size_t>(value);
  const unsigned msb = static_cast<unsigned>(std::bit_width(value)) - 1;  // >= kSubBucketBits + 1
  const unsigned shift = msb - kSubBucketBits;
  const std::uint64_t mantissa = value >> shift;  // in [S, 2S)
  return static_cast<std::size_t>(shift * kSubBuckets + mantissa);
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) noexcept {
  if (bucket < 2 * kSubBuckets) return bucket;
  const std::uint64_t shift = bucket / kSubBuckets - 1;
  const std::uint64_t mantissa = bucket - shift * kSubBuckets;
  return mantissa << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t bucket) noexcept {
  if (bucket < 2 * kSubBuckets) return bucket;
  const std::uint64_t shift = bucket / kSubBuckets - 1;
  // The last bucket ends at 2^64 - 1; computing low + width - 1 never overflows.
  return bucket_low(bucket) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::uint64_t value) noexcept {
  ++counts_[bucket_of(value)];
  if (count_ == 0 || value < min_) min_ = value;
  if (value > max_) max_ = value;
  ++count_;
  sum_ += static_cast<long double>(value);
}

void Histogram::merge(const Histogram& other) noexcept {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t Histogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  if (rank == count_) return max_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucket_high(i), min_, max_);
  }
  return max_;
}

}  // namespace herd::sim::load
