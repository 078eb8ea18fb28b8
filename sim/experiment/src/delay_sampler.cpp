#include "herd/sim/delay_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace herd::sim {
namespace {
// Uniform in (0, 1]: safe to take the log of.
double open_unit(Prng& rng) { return 1.0 - rng.uniform_double(); }

Nanoseconds to_delay(double ns) {
  if (!(ns > 0)) return 0;  // also catches NaN
  // Ten years: no scenario duration is longer, and sums with the epoch cannot overflow.
  constexpr auto kMax = static_cast<double>(kMaxScenarioDuration);
  return static_cast<Nanoseconds>(std::min(ns, kMax));
}
}  // namespace

double standard_normal(Prng& rng) {
  double u1 = open_unit(rng);
  double u2 = rng.uniform_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double exponential(Prng& rng, double mean) { return -mean * std::log(open_unit(rng)); }

Nanoseconds sample_delay(const DelayDistribution& d, Prng& rng) {
  using Kind = DelayDistribution::Kind;
  switch (d.kind) {
    case Kind::constant:
      return d.value_ns;
    case Kind::uniform:
      if (d.max_ns <= d.min_ns) return d.min_ns;
      return d.min_ns + static_cast<Nanoseconds>(
                            rng.uniform_u64(static_cast<std::uint64_t>(d.max_ns - d.min_ns) + 1));
    case Kind::normal:
      return std::max(d.min_ns, to_delay(static_cast<double>(d.mean_ns) +
                                         static_cast<double>(d.stddev_ns) * standard_normal(rng)));
    case Kind::lognormal:
      return to_delay(static_cast<double>(d.median_ns) * std::exp(d.sigma * standard_normal(rng)));
    case Kind::exponential:
      return to_delay(exponential(rng, static_cast<double>(d.mean_ns)));
    case Kind::pareto:
      return to_delay(static_cast<double>(d.scale_ns) / std::pow(open_unit(rng), 1.0 / d.shape));
    case Kind::empirical:
      if (d.samples_ns.empty()) return 0;
      return d.samples_ns[rng.uniform_u64(d.samples_ns.size())];
  }
  return 0;
}

bool delay_draws(const DelayDistribution& d) noexcept {
  using Kind = DelayDistribution::Kind;
  switch (d.kind) {
    case Kind::constant: return false;
    case Kind::uniform: return d.max_ns > d.min_ns;
    case Kind::empirical: return !d.samples_ns.empty();
    case Kind::normal:
    case Kind::lognormal:
    case Kind::exponential:
    case Kind::pareto: return true;
  }
  return true;
}

double mean_delay_ns(const DelayDistribution& d) {
  using Kind = DelayDistribution::Kind;
  switch (d.kind) {
    case Kind::constant: return static_cast<double>(d.value_ns);
    case Kind::uniform: return (static_cast<double>(d.min_ns) + static_cast<double>(d.max_ns)) / 2;
    case Kind::normal:
    case Kind::exponential: return static_cast<double>(d.mean_ns);
    case Kind::lognormal:
      return static_cast<double>(d.median_ns) * std::exp(d.sigma * d.sigma / 2);
    case Kind::pareto:
      return d.shape > 1 ? static_cast<double>(d.scale_ns) * d.shape / (d.shape - 1)
                         : static_cast<double>(d.scale_ns);
    case Kind::empirical: {
      double sum = 0;
      for (auto v : d.samples_ns) sum += static_cast<double>(v);
      return d.samples_ns.empty() ? 0 : sum / static_cast<double>(d.samples_ns.size());
    }
  }
  return 0;
}

}  // namespace herd::sim
