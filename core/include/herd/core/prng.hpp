#pragma once
// The project's own pseudo-random numbers: one u64 seed drives a whole simulation, so every
// draw must be the same on every compiler and standard library. The standard library's
// distributions and Boost.Random's seeding are not specified bit-for-bit across versions,
// so nothing in herd uses them: the simulator and the core's propagation strategies draw
// every random number through this header. It is pure computation, so herd_core may use it.
//
// Algorithms (both public domain, by Sebastiano Vigna and David Blackman):
//   SplitMix64          — a 64-bit state mixer; used to expand seeds and derive sub-seeds.
//   Xoshiro256StarStar  — xoshiro256** 1.0, the general-purpose generator (`Prng`).
// Derived draws, defined here once so that their outputs are part of the contract:
//   uniform_u64(bound)  — unbiased integer in [0, bound): rejection of the short tail, then
//                         modulo (the OpenBSD arc4random_uniform method).
//   uniform_double()    — the top 53 bits scaled by 2^-53: a multiple of 2^-53 in [0, 1).
//   chance(p)           — uniform_double() < p.
//   shuffle(items, rng) — Fisher-Yates from the back, one uniform_u64 per position.
// Changing any of these changes every seeded run's fingerprint; the reference values in
// tests/sim/topology/prng_test.cpp pin them (the simulator is where they were first needed).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <utility>

namespace herd::core {

// Draws built on a raw 64-bit source. `Engine` provides `std::uint64_t next_u64()`.
template <class Engine>
class UniformDraws {
 public:
  // A uniformly distributed integer in [0, bound). Throws std::invalid_argument if bound
  // is 0 (an empty range is a caller bug, but it must not crash a simulation).
  [[nodiscard]] std::uint64_t uniform_u64(std::uint64_t bound) {
    if (bound == 0) throw std::invalid_argument("uniform_u64: bound must be positive");
    // 2^64 mod bound values at the bottom of the range would make small results more
    // likely; rejecting them leaves a whole number of copies of [0, bound).
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t r = self().next_u64();
      if (r >= threshold) return r % bound;
    }
  }

  // A uniformly distributed integer in [lo, hi] (inclusive). Throws if lo > hi.
  [[nodiscard]] std::uint64_t uniform_between(std::uint64_t lo, std::uint64_t hi) {
    if (lo > hi) throw std::invalid_argument("uniform_between: lo must not exceed hi");
    const std::uint64_t span = hi - lo;
    if (span == UINT64_MAX) return self().next_u64();
    return lo + uniform_u64(span + 1);
  }

  // A double in [0, 1) with 53 random bits; never 1.0.
  [[nodiscard]] double uniform_double() {
    return static_cast<double>(self().next_u64() >> 11) * 0x1.0p-53;
  }

  // True with probability p (p <= 0 never, p >= 1 always).
  [[nodiscard]] bool chance(double p) { return uniform_double() < p; }

 private:
  Engine& self() { return static_cast<Engine&>(*this); }
};

// SplitMix64: a counter (step 0x9e3779b97f4a7c15) passed through a 64-bit finaliser.
// Good for seeding other generators and hashing seeds; use Prng for bulk draws.
class SplitMix64 : public UniformDraws<SplitMix64> {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) : state_(seed) {}

  // The finaliser on its own: a bijective mix of 64 bits.
  [[nodiscard]] static constexpr std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  constexpr std::uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix(state_);
  }

 private:
  std::uint64_t state_;
};

// xoshiro256**: 256 bits of state, period 2^256 - 1, passes BigCrush. The simulator's
// workhorse generator.
class Xoshiro256StarStar : public UniformDraws<Xoshiro256StarStar> {
 public:
  using State = std::array<std::uint64_t, 4>;

  // Expands a 64-bit seed into the state with four SplitMix64 outputs, as the algorithm's
  // authors recommend (and as Rust's rand_xoshiro `seed_from_u64` does).
  explicit constexpr Xoshiro256StarStar(std::uint64_t seed) : state_{} {
    SplitMix64 expander(seed);
    for (auto& word : state_) word = expander.next_u64();
  }

  // Uses the state as given; for reproducing reference vectors. An all-zero state would
  // only ever produce zeros, so it is replaced by the state of seed 0.
  [[nodiscard]] static constexpr Xoshiro256StarStar from_state(const State& state) {
    Xoshiro256StarStar rng(0);
    if (state != State{}) rng.state_ = state;
    return rng;
  }

  [[nodiscard]] constexpr const State& state() const { return state_; }

  constexpr std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Advances the state by 2^128 draws: splits one seed into non-overlapping streams.
  constexpr void jump() {
    constexpr State kJump = {0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL,
                             0xa9582618e03fc9aaULL, 0x39abdc4529b1661cULL};
    State acc{};
    for (const std::uint64_t word : kJump) {
      for (int bit = 0; bit < 64; ++bit) {
        if ((word >> bit) & 1U) {
          for (std::size_t i = 0; i < acc.size(); ++i) acc[i] ^= state_[i];
        }
        (void)next_u64();
      }
    }
    state_ = acc;
  }

  friend constexpr bool operator==(const Xoshiro256StarStar& a, const Xoshiro256StarStar& b) {
    return a.state_ == b.state_;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }

  State state_;
};

// The generator everything in the simulator takes by reference.
using Prng = Xoshiro256StarStar;

// A sub-seed for stream `stream` of `seed` (per server, link, client, retry...). Distinct
// streams of one seed, and one stream of distinct seeds, give unrelated sub-seeds: the
// stream number is mixed before it meets the seed, so (seed, stream) and (seed ^ 1,
// stream ^ 1) do not collide the way a plain xor would.
[[nodiscard]] constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  return SplitMix64::mix(seed ^ SplitMix64::mix(stream + 0x9e3779b97f4a7c15ULL));
}

// Fisher-Yates shuffle driven by `rng`: the same seed gives the same permutation everywhere.
template <class T, class Engine>
void shuffle(std::span<T> items, UniformDraws<Engine>& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.uniform_u64(i));
    using std::swap;
    swap(items[i - 1], items[j]);
  }
}

}  // namespace herd::core
