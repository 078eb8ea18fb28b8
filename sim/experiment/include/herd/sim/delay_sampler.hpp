#pragma once
// Draws from a DelayDistribution with the project's own PRNG. The transforms (Box-Muller,
// inverse CDF) are written out here so that a seed gives the same delays on every
// standard library; only <cmath>'s log/exp/sqrt/cos are relied on.

#include "herd/sim/prng.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

// A standard normal draw (Box-Muller, one value per pair of uniforms for simplicity).
[[nodiscard]] double standard_normal(Prng& rng);
// An exponential draw with the given mean.
[[nodiscard]] double exponential(Prng& rng, double mean);

// A delay in ns, never negative.
[[nodiscard]] Nanoseconds sample_delay(const DelayDistribution& dist, Prng& rng);

// Whether sample_delay draws from the generator for this distribution. A constant, a
// uniform range of one value and an empty sample list do not: a herd whose links all have
// such latencies and no loss needs no generator per link.
[[nodiscard]] bool delay_draws(const DelayDistribution& dist) noexcept;

// The distribution's mean in ns (infinite-mean Pareto reports its scale), for reports.
[[nodiscard]] double mean_delay_ns(const DelayDistribution& dist);

}  // namespace herd::sim
