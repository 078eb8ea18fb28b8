#pragma once
// Random friend-graph models, deterministic from a seed: the same parameters and seed give
// the same graph (same names, same edge list) on every platform, because every draw goes
// through herd::sim::Prng (never a standard-library distribution).
//
// Each model comes in two forms:
//   model(params..., Prng& rng, prefix)      one draw from a caller-supplied generator;
//   model(params..., RandomGraphOptions)     seeded, optionally retried until connected.
// Attempt 0 of the seeded form uses Prng(seed), so it equals the first form given
// Prng(seed); attempt i > 0 uses Prng(derive_seed(seed, i)).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herd/sim/friend_graph.hpp"
#include "herd/sim/prng.hpp"

namespace herd::sim {

struct RandomGraphOptions {
  std::uint64_t seed = 0;
  // Redraw (with the next derived seed) until the graph is connected, at most
  // max_attempts times, then throw TopologyError saying so.
  bool ensure_connected = false;
  std::uint32_t max_attempts = 100;
  std::string prefix = std::string(kDefaultServerPrefix);
};

// Erdos-Renyi G(n, p): each of the n(n-1)/2 friendships exists independently with
// probability p. Uses Batagelj-Brandes geometric skipping (2005), so the cost is O(n + m)
// rather than O(n^2). The skip lengths come from std::log, which glibc computes to within
// one ulp; a platform whose log differs could in rare cases round a skip differently.
[[nodiscard]] FriendGraph erdos_renyi_graph(std::size_t n, double p, Prng& rng,
                                            std::string_view prefix = kDefaultServerPrefix);
[[nodiscard]] FriendGraph erdos_renyi_graph(std::size_t n, double p,
                                            const RandomGraphOptions& options);

// Watts-Strogatz small world: a ring where each server is a friend of its k/2 nearest
// servers on each side, then each lattice friendship (u, u+j) is, with probability p,
// rewired to (u, w) for a uniformly random w that is neither u nor already u's friend
// (the networkx order: j = 1..k/2 outer, u = 0..n-1 inner). Needs k even and k < n.
[[nodiscard]] FriendGraph watts_strogatz_graph(std::size_t n, std::size_t k, double p,
                                               Prng& rng,
                                               std::string_view prefix = kDefaultServerPrefix);
[[nodiscard]] FriendGraph watts_strogatz_graph(std::size_t n, std::size_t k, double p,
                                               const RandomGraphOptions& options);

// Barabasi-Albert preferential attachment: starts from a complete graph on m+1 servers;
// each later server befriends m distinct earlier servers chosen with probability
// proportional to their degree. m(m+1)/2 + m(n-m-1) friendships, minimum degree m, always
// connected. Needs 1 <= m < n.
[[nodiscard]] FriendGraph barabasi_albert_graph(std::size_t n, std::size_t m, Prng& rng,
                                                std::string_view prefix = kDefaultServerPrefix);
[[nodiscard]] FriendGraph barabasi_albert_graph(std::size_t n, std::size_t m,
                                                const RandomGraphOptions& options);

// Random d-regular graph on n servers (every server has exactly d friends), by the
// Steger-Wormald pairing algorithm (1999): pair random free stubs, keep pairs that form
// neither a loop nor a duplicate, re-pair the rest, and restart from scratch when no valid
// pair is left (bounded; TopologyError if every restart fails). Asymptotically uniform for
// d small relative to n. Needs n*d even and d < n.
[[nodiscard]] FriendGraph random_regular_graph(std::size_t n, std::size_t d, Prng& rng,
                                               std::string_view prefix = kDefaultServerPrefix);
[[nodiscard]] FriendGraph random_regular_graph(std::size_t n, std::size_t d,
                                               const RandomGraphOptions& options);

}  // namespace herd::sim
