#pragma once
// The simulator uses the core's PRNG (herd/core/prng.hpp) under its own namespace.

#include "herd/core/prng.hpp"

namespace herd::sim {
using core::derive_seed;
using core::Prng;
using core::shuffle;
using core::SplitMix64;
using core::UniformDraws;
using core::Xoshiro256StarStar;
}  // namespace herd::sim
