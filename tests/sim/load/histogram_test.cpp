// The log-bucketed histogram against exact nearest-rank percentiles of known samples.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "herd/core/prng.hpp"
#include "herd/sim/load/histogram.hpp"

using herd::sim::load::Histogram;

namespace {

// The q-quantile by nearest rank: the value at rank ceil(q·N) of the sorted samples.
std::uint64_t exact_quantile(std::vector<std::uint64_t> samples, double q) {
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  rank = std::clamp<std::size_t>(rank, 1, samples.size());
  return samples[rank - 1];
}

constexpr double kQuantiles[] = {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0};

}  // namespace

TEST_CASE("histogram: small values are exact") {
  Histogram h;
  std::vector<std::uint64_t> samples;
  for (std::uint64_t v = 0; v < 256; ++v) {
    for (std::uint64_t k = 0; k <= v % 3; ++k) {
      h.record(v);
      samples.push_back(v);
    }
  }
  for (double q : kQuantiles) CHECK(h.quantile(q) == exact_quantile(samples, q));
  CHECK(h.min() == 0);
  CHECK(h.max() == 255);
  CHECK(h.count() == samples.size());
}

TEST_CASE("histogram: percentiles of 1..1000 and of a known skewed set") {
  Histogram h;
  std::vector<std::uint64_t> samples;
  for (std::uint64_t v = 1; v <= 1000; ++v) {
    h.record(v * 1000);  // 1 µs .. 1 ms in ns
    samples.push_back(v * 1000);
  }
  CHECK(exact_quantile(samples, 0.5) == 500'000);
  CHECK(exact_quantile(samples, 0.99) == 990'000);
  for (double q : kQuantiles) {
    const std::uint64_t exact = exact_quantile(samples, q);
    const std::uint64_t got = h.quantile(q);
    INFO("q " << q << " exact " << exact << " got " << got);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * (1.0 + 1.0 / 128));
  }
  CHECK(h.quantile(1.0) == 1'000'000);  // the max is exact
  CHECK(h.mean() == Approx(500'500.0));
}

TEST_CASE("histogram: random log-normal-like samples stay within 1/128 of exact") {
  herd::core::Prng rng(42);
  Histogram h;
  std::vector<std::uint64_t> samples;
  for (int i = 0; i < 100'000; ++i) {
    // Spread over six decades: 10^(2..8) ns.
    const double exponent = 2.0 + 6.0 * rng.uniform_double();
    const auto v = static_cast<std::uint64_t>(std::pow(10.0, exponent));
    h.record(v);
    samples.push_back(v);
  }
  for (double q : {0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}) {
    const std::uint64_t exact = exact_quantile(samples, q);
    const std::uint64_t got = h.quantile(q);
    INFO("q " << q << " exact " << exact << " got " << got);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * (1.0 + 1.0 / 128));
  }
  CHECK(h.max() == *std::max_element(samples.begin(), samples.end()));
  CHECK(h.min() == *std::min_element(samples.begin(), samples.end()));
}

TEST_CASE("histogram: buckets tile the 64-bit range without gaps") {
  CHECK(Histogram::bucket_of(0) == 0);
  CHECK(Histogram::bucket_of(255) == 255);
  CHECK(Histogram::bucket_of(UINT64_MAX) == Histogram::kBuckets - 1);
  CHECK(Histogram::bucket_high(Histogram::kBuckets - 1) == UINT64_MAX);
  for (std::size_t b = 0; b + 1 < Histogram::kBuckets; ++b) {
    REQUIRE(Histogram::bucket_high(b) + 1 == Histogram::bucket_low(b + 1));
    REQUIRE(Histogram::bucket_of(Histogram::bucket_low(b)) == b);
    REQUIRE(Histogram::bucket_of(Histogram::bucket_high(b)) == b);
    const std::uint64_t width = Histogram::bucket_high(b) - Histogram::bucket_low(b) + 1;
    REQUIRE(width * 128 <= std::max<std::uint64_t>(Histogram::bucket_low(b), 128));
  }
}

TEST_CASE("histogram: merging equals recording everything in one") {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; v += 7) {
    (v % 2 ? a : b).record(v * 13);
    all.record(v * 13);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  CHECK(a.mean() == Approx(all.mean()));
  for (double q : kQuantiles) CHECK(a.quantile(q) == all.quantile(q));
  a.reset();
  CHECK(a.count() == 0);
  CHECK(a.quantile(0.5) == 0);
}
