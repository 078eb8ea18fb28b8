#include "herd/sim/random_graphs.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <locale>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/graph_metrics.hpp"

namespace herd::sim {

namespace {

// Rejection sampling almost always succeeds within a few draws; after this many misses
// the samplers switch to an exact enumeration so that no loop is unbounded.
constexpr int kRejectionDraws = 64;
// Random regular graphs: restarts of the whole pairing, and re-pairing rounds per restart.
constexpr int kRegularRestarts = 200;
constexpr int kRegularRoundsPerRestart = 1000;

ServerIndex at(std::uint64_t i) { return static_cast<ServerIndex>(i); }

std::string fmt_double(double value) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::setprecision(10) << value;
  return out.str();
}

void require_servers(const std::string& model, std::size_t n) {
  if (n > kMaxServers) {
    throw TopologyError(model + ": n = " + std::to_string(n) + " exceeds the limit of " +
                        std::to_string(kMaxServers) + " servers");
  }
}

void require_friendships(const std::string& model, double expected) {
  if (expected > static_cast<double>(kMaxFriendships)) {
    throw TopologyError(model + ": about " + fmt_double(std::floor(expected)) +
                        " friendships would exceed the limit of " +
                        std::to_string(kMaxFriendships));
  }
}

void require_probability(const std::string& model, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw TopologyError(model + ": p = " + fmt_double(p) + " is not a probability in [0, 1]");
  }
}

// Draws a graph, redrawing with derived seeds until it is connected when asked to.
FriendGraph draw_seeded(const std::string& model, const RandomGraphOptions& options,
                        const std::function<FriendGraph(Prng&)>& draw) {
  if (options.max_attempts == 0) {
    throw TopologyError(model + ": max_attempts must be at least 1");
  }
  if (!options.ensure_connected) {
    Prng rng(options.seed);
    return draw(rng);
  }
  for (std::uint32_t attempt = 0; attempt < options.max_attempts; ++attempt) {
    Prng rng(attempt == 0 ? options.seed : derive_seed(options.seed, attempt));
    FriendGraph graph = draw(rng);
    if (is_connected(graph)) return graph;
  }
  throw TopologyError(model + ": no connected graph in " +
                      std::to_string(options.max_attempts) + " attempts from seed " +
                      std::to_string(options.seed) +
                      "; these parameters rarely give a connected graph (raise the density "
                      "or max_attempts, or drop ensure_connected)");
}

// A uniformly random server that is neither u nor a friend of u; u must have one.
ServerIndex pick_non_friend(const FriendGraph& graph, ServerIndex u, Prng& rng) {
  const std::size_t n = graph.size();
  for (int draw = 0; draw < kRejectionDraws; ++draw) {
    const ServerIndex w = at(rng.uniform_u64(n));
    if (w != u && !graph.has_edge(u, w)) return w;
  }
  // u knows almost everyone: count through the non-friends instead.
  std::uint64_t skip = rng.uniform_u64(n - 1 - graph.degree(u));
  const auto friends = graph.neighbours(u);
  auto next_friend = friends.begin();
  for (ServerIndex w = 0; w < n; ++w) {
    if (next_friend != friends.end() && *next_friend == w) {
      ++next_friend;
      continue;
    }
    if (w == u) continue;
    if (skip-- == 0) return w;
  }
  throw TopologyError("watts_strogatz: internal error: no non-friend left to rewire to");
}

}  // namespace

FriendGraph erdos_renyi_graph(std::size_t n, double p, Prng& rng, std::string_view prefix) {
  const std::string model = "erdos_renyi(n=" + std::to_string(n) + ", p=" + fmt_double(p) + ")";
  require_servers(model, n);
  require_probability(model, p);
  const double pairs = static_cast<double>(n) * (static_cast<double>(n) - 1.0) / 2.0;
  require_friendships(model, p * pairs);
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  if (n < 2 || p == 0.0) return graph;
  if (p == 1.0) {
    for (std::size_t v = 1; v < n; ++v) {
      for (std::size_t w = 0; w < v; ++w) graph.add_edge(at(v), at(w));
    }
    return graph;
  }
  // Walk the lower triangle (v, w), w < v, row by row; the gap to the next present pair
  // is geometric with parameter p: floor(log(1 - r) / log(1 - p)).
  const double log_q = std::log1p(-p);
  const auto count = static_cast<std::int64_t>(n);
  const double past_the_end = static_cast<double>(count) * static_cast<double>(count);
  std::int64_t v = 1;
  std::int64_t w = -1;
  while (v < count) {
    const double skip = std::floor(std::log1p(-rng.uniform_double()) / log_q);
    if (!(skip < past_the_end)) break;  // jumps past the last pair
    w += 1 + static_cast<std::int64_t>(skip);
    while (w >= v && v < count) {
      w -= v;
      ++v;
    }
    if (v < count) {
      graph.add_edge(at(static_cast<std::uint64_t>(v)), at(static_cast<std::uint64_t>(w)));
    }
  }
  return graph;
}

FriendGraph erdos_renyi_graph(std::size_t n, double p, const RandomGraphOptions& options) {
  return draw_seeded("erdos_renyi(n=" + std::to_string(n) + ", p=" + fmt_double(p) + ")",
                     options,
                     [&](Prng& rng) { return erdos_renyi_graph(n, p, rng, options.prefix); });
}

FriendGraph watts_strogatz_graph(std::size_t n, std::size_t k, double p, Prng& rng,
                                 std::string_view prefix) {
  const std::string model = "watts_strogatz(n=" + std::to_string(n) + ", k=" +
                            std::to_string(k) + ", p=" + fmt_double(p) + ")";
  require_servers(model, n);
  require_probability(model, p);
  if (k % 2 != 0) throw TopologyError(model + ": k must be even (k/2 friends on each side)");
  if (k > 0 && k >= n) throw TopologyError(model + ": k must be less than n");
  require_friendships(model, static_cast<double>(n) * static_cast<double>(k) / 2.0);
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  const std::size_t half = k / 2;
  for (std::size_t j = 1; j <= half; ++j) {
    for (std::size_t u = 0; u < n; ++u) graph.add_edge(at(u), at((u + j) % n));
  }
  for (std::size_t j = 1; j <= half; ++j) {
    for (std::size_t u = 0; u < n; ++u) {
      // One draw per lattice friendship whatever happens, so that a skipped rewire does
      // not shift every later draw.
      if (!rng.chance(p)) continue;
      if (graph.degree(at(u)) >= n - 1) continue;
      const ServerIndex w = pick_non_friend(graph, at(u), rng);
      graph.remove_edge(at(u), at((u + j) % n));
      graph.add_edge(at(u), w);
    }
  }
  return graph;
}

FriendGraph watts_strogatz_graph(std::size_t n, std::size_t k, double p,
                                 const RandomGraphOptions& options) {
  return draw_seeded("watts_strogatz(n=" + std::to_string(n) + ", k=" + std::to_string(k) +
                         ", p=" + fmt_double(p) + ")",
                     options, [&](Prng& rng) {
                       return watts_strogatz_graph(n, k, p, rng, options.prefix);
                     });
}

FriendGraph barabasi_albert_graph(std::size_t n, std::size_t m, Prng& rng,
                                  std::string_view prefix) {
  const std::string model =
      "barabasi_albert(n=" + std::to_string(n) + ", m=" + std::to_string(m) + ")";
  require_servers(model, n);
  if (m < 1 || m >= n) throw TopologyError(model + ": needs 1 <= m < n");
  require_friendships(model, static_cast<double>(m) * static_cast<double>(n));
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  // Every friendship contributes both ends: a uniform pick from this list picks a server
  // with probability proportional to its degree.
  std::vector<ServerIndex> ends;
  ends.reserve(2 * m * n);
  for (std::size_t i = 0; i <= m; ++i) {
    for (std::size_t j = i + 1; j <= m; ++j) {
      graph.add_edge(at(i), at(j));
      ends.push_back(at(i));
      ends.push_back(at(j));
    }
  }
  std::vector<std::size_t> chosen_by(n, n);  // chosen_by[t] == v: t is already a target of v
  std::vector<ServerIndex> targets;
  targets.reserve(m);
  for (std::size_t v = m + 1; v < n; ++v) {
    targets.clear();
    for (std::size_t draw = 0; targets.size() < m && draw < kRejectionDraws * m; ++draw) {
      const ServerIndex t = ends[rng.uniform_u64(ends.size())];
      if (chosen_by[t] == v) continue;
      chosen_by[t] = v;
      targets.push_back(t);
    }
    while (targets.size() < m) {
      // Hubs keep winning the draw: pick by degree among the servers not yet chosen.
      std::uint64_t total = 0;
      for (std::size_t t = 0; t < v; ++t) {
        if (chosen_by[t] != v) total += graph.degree(at(t));
      }
      std::uint64_t r = rng.uniform_u64(total);
      for (std::size_t t = 0; t < v; ++t) {
        if (chosen_by[t] == v) continue;
        const std::uint64_t weight = graph.degree(at(t));
        if (r < weight) {
          chosen_by[t] = v;
          targets.push_back(at(t));
          break;
        }
        r -= weight;
      }
    }
    std::sort(targets.begin(), targets.end());
    for (const ServerIndex t : targets) {
      graph.add_edge(at(v), t);
      ends.push_back(t);
      ends.push_back(at(v));
    }
  }
  return graph;
}

FriendGraph barabasi_albert_graph(std::size_t n, std::size_t m,
                                  const RandomGraphOptions& options) {
  return draw_seeded(
      "barabasi_albert(n=" + std::to_string(n) + ", m=" + std::to_string(m) + ")", options,
      [&](Prng& rng) { return barabasi_albert_graph(n, m, rng, options.prefix); });
}

namespace {

// Whether some two distinct servers with free stubs are not yet friends.
bool pairing_can_continue(const FriendGraph& graph, const std::vector<ServerIndex>& open) {
  for (std::size_t i = 0; i < open.size(); ++i) {
    for (std::size_t j = i + 1; j < open.size(); ++j) {
      if (!graph.has_edge(open[i], open[j])) return true;
    }
  }
  return false;
}

// One Steger-Wormald run; false when it got stuck and must start again.
bool try_regular_pairing(FriendGraph& graph, std::size_t d, Prng& rng) {
  const std::size_t n = graph.size();
  std::vector<ServerIndex> stubs;
  stubs.reserve(n * d);
  for (std::size_t i = 0; i < n; ++i) stubs.insert(stubs.end(), d, at(i));
  std::vector<std::size_t> leftover(n, 0);
  std::vector<ServerIndex> open;
  for (int round = 0; round < kRegularRoundsPerRestart; ++round) {
    if (stubs.empty()) return true;
    shuffle(std::span<ServerIndex>(stubs), rng);
    for (std::size_t i = 0; i + 1 < stubs.size(); i += 2) {
      const ServerIndex s1 = stubs[i];
      const ServerIndex s2 = stubs[i + 1];
      if (s1 != s2 && !graph.has_edge(s1, s2)) {
        graph.add_edge(s1, s2);
      } else {
        ++leftover[s1];
        ++leftover[s2];
      }
    }
    // Rebuild the free stubs in server order (not draw order) so the next shuffle starts
    // from a canonical list.
    stubs.clear();
    open.clear();
    for (std::size_t i = 0; i < n; ++i) {
      if (leftover[i] == 0) continue;
      stubs.insert(stubs.end(), leftover[i], at(i));
      open.push_back(at(i));
      leftover[i] = 0;
    }
    if (!stubs.empty() && !pairing_can_continue(graph, open)) return false;
  }
  return stubs.empty();
}

}  // namespace

FriendGraph random_regular_graph(std::size_t n, std::size_t d, Prng& rng,
                                 std::string_view prefix) {
  const std::string model =
      "random_regular(n=" + std::to_string(n) + ", d=" + std::to_string(d) + ")";
  require_servers(model, n);
  if (d > 0 && d >= n) throw TopologyError(model + ": d must be less than n");
  if ((n * d) % 2 != 0) {
    throw TopologyError(model + ": n*d must be even (each friendship uses two stubs)");
  }
  require_friendships(model, static_cast<double>(n) * static_cast<double>(d) / 2.0);
  for (int restart = 0; restart < kRegularRestarts; ++restart) {
    FriendGraph graph = FriendGraph::numbered(n, prefix);
    if (try_regular_pairing(graph, d, rng)) return graph;
  }
  throw TopologyError(model + ": no valid pairing in " + std::to_string(kRegularRestarts) +
                      " restarts; d is too large for this n");
}

FriendGraph random_regular_graph(std::size_t n, std::size_t d,
                                 const RandomGraphOptions& options) {
  return draw_seeded(
      "random_regular(n=" + std::to_string(n) + ", d=" + std::to_string(d) + ")", options,
      [&](Prng& rng) { return random_regular_graph(n, d, rng, options.prefix); });
}

}  // namespace herd::sim
