// The simulator gives a herd no generator per link when no latency of the run draws from
// one (delay_draws), so delay_draws must say exactly when sample_delay consumes draws: a
// wrong "no" would share one generator and change every seeded run's delays.
#include <catch2/catch.hpp>

#include "herd/sim/delay_sampler.hpp"

namespace herd::sim {
namespace {

bool consumed_draws(const DelayDistribution& d) {
  Prng rng(42);
  (void)sample_delay(d, rng);
  return rng.state() != Prng(42).state();
}

DelayDistribution of_kind(DelayDistribution::Kind kind) {
  DelayDistribution d;
  d.kind = kind;
  d.value_ns = 5;
  d.min_ns = 1;
  d.max_ns = 9;
  d.mean_ns = 10;
  d.stddev_ns = 2;
  d.median_ns = 10;
  d.sigma = 0.5;
  d.scale_ns = 3;
  d.shape = 1.5;
  d.samples_ns = {4, 8};
  return d;
}

}  // namespace

TEST_CASE("delay_draws says which distributions take draws from the generator") {
  using Kind = DelayDistribution::Kind;
  for (auto kind : {Kind::constant, Kind::uniform, Kind::normal, Kind::lognormal,
                    Kind::exponential, Kind::pareto, Kind::empirical}) {
    const DelayDistribution d = of_kind(kind);
    INFO("kind " << static_cast<int>(kind));
    CHECK(delay_draws(d) == consumed_draws(d));
  }
  CHECK_FALSE(delay_draws(of_kind(Kind::constant)));
  CHECK(delay_draws(of_kind(Kind::lognormal)));
}

TEST_CASE("A degenerate uniform range or an empty sample list draws nothing") {
  DelayDistribution one_value = of_kind(DelayDistribution::Kind::uniform);
  one_value.max_ns = one_value.min_ns;
  CHECK_FALSE(delay_draws(one_value));
  CHECK_FALSE(consumed_draws(one_value));

  DelayDistribution no_samples = of_kind(DelayDistribution::Kind::empirical);
  no_samples.samples_ns.clear();
  CHECK_FALSE(delay_draws(no_samples));
  CHECK_FALSE(consumed_draws(no_samples));

  // A normal with no spread still draws (Box-Muller runs whatever the deviation).
  DelayDistribution flat_normal = of_kind(DelayDistribution::Kind::normal);
  flat_normal.stddev_ns = 0;
  CHECK(delay_draws(flat_normal));
  CHECK(consumed_draws(flat_normal));
}

}  // namespace herd::sim
