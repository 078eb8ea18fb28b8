#include "herd/sim/random_graphs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string>

#include "herd/sim/generators.hpp"
#include "herd/sim/graph_metrics.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;

namespace {

RandomGraphOptions seeded(std::uint64_t seed) {
  RandomGraphOptions options;
  options.seed = seed;
  return options;
}

bool all_degrees(const FriendGraph& graph, std::size_t degree) {
  for (ServerIndex i = 0; i < graph.size(); ++i) {
    if (graph.degree(i) != degree) return false;
  }
  return true;
}

// Every random model, as a function of the seed, for the determinism checks.
const std::array<std::pair<const char*, std::function<FriendGraph(std::uint64_t)>>, 4> kModels = {{
    {"erdos_renyi", [](std::uint64_t s) { return erdos_renyi_graph(300, 0.02, seeded(s)); }},
    {"watts_strogatz",
     [](std::uint64_t s) { return watts_strogatz_graph(300, 4, 0.2, seeded(s)); }},
    {"barabasi_albert", [](std::uint64_t s) { return barabasi_albert_graph(300, 2, seeded(s)); }},
    {"random_regular", [](std::uint64_t s) { return random_regular_graph(300, 3, seeded(s)); }},
}};

}  // namespace

TEST_CASE("random graphs: the same seed gives the identical edge list for every model") {
  for (const auto& [name, draw] : kModels) {
    INFO(name);
    const FriendGraph first = draw(17);
    const FriendGraph second = draw(17);
    CHECK(first.edges() == second.edges());
    CHECK(first == second);
  }
}

TEST_CASE("random graphs: different seeds give different edge lists for every model") {
  for (const auto& [name, draw] : kModels) {
    INFO(name);
    CHECK(draw(17).edges() != draw(18).edges());
  }
}

TEST_CASE("random graphs: the seeded form equals one draw from Prng of the seed") {
  Prng rng(99);
  CHECK(erdos_renyi_graph(100, 0.05, rng) == erdos_renyi_graph(100, 0.05, seeded(99)));
  Prng rng_ws(99);
  CHECK(watts_strogatz_graph(100, 6, 0.3, rng_ws) ==
        watts_strogatz_graph(100, 6, 0.3, seeded(99)));
}

TEST_CASE("random graphs: Erdos-Renyi edge count is close to p times the pairs") {
  const FriendGraph graph = erdos_renyi_graph(2000, 0.01, seeded(1));
  CHECK(graph.size() == 2000);
  // Expected 19990 with standard deviation about 141.
  CHECK(graph.edge_count() > 19'990 - 1'000);
  CHECK(graph.edge_count() < 19'990 + 1'000);
  CHECK(erdos_renyi_graph(50, 0.0, seeded(1)).edge_count() == 0);
  CHECK(erdos_renyi_graph(20, 1.0, seeded(1)) == complete_graph(20));
  CHECK(erdos_renyi_graph(1, 0.5, seeded(1)).edge_count() == 0);
}

TEST_CASE("random graphs: Erdos-Renyi skipping gives every pair probability p") {
  // On 5 servers, count how often each of the 10 pairs appears over many draws.
  Prng rng(123);
  constexpr int kDraws = 20'000;
  std::array<std::array<int, 5>, 5> seen{};
  for (int i = 0; i < kDraws; ++i) {
    const FriendGraph graph = erdos_renyi_graph(5, 0.3, rng);
    for (const auto& edge : graph.edges()) ++seen[edge.a][edge.b];
  }
  for (ServerIndex a = 0; a < 5; ++a) {
    for (ServerIndex b = a + 1; b < 5; ++b) {
      INFO("pair " << a << " " << b);
      CHECK(seen[a][b] / static_cast<double>(kDraws) == Approx(0.3).margin(0.015));
    }
  }
}

TEST_CASE("random graphs: Erdos-Renyi refuses a bad probability or too many edges") {
  CHECK_THROWS_WITH(erdos_renyi_graph(10, 1.5, seeded(1)), Contains("is not a probability"));
  CHECK_THROWS_WITH(erdos_renyi_graph(10, -0.1, seeded(1)), Contains("is not a probability"));
  CHECK_THROWS_WITH(erdos_renyi_graph(100'000, 0.5, seeded(1)), Contains("would exceed the limit"));
}

TEST_CASE("random graphs: Watts-Strogatz keeps n*k/2 friendships and rewires with p") {
  const FriendGraph lattice = watts_strogatz_graph(100, 6, 0.0, seeded(3));
  CHECK(lattice.edge_count() == 300);
  CHECK(all_degrees(lattice, 6));
  CHECK(lattice.has_edge(0, 3));
  CHECK(lattice.has_edge(0, 97));

  const FriendGraph rewired = watts_strogatz_graph(100, 6, 0.5, seeded(3));
  CHECK(rewired.edge_count() == 300);
  CHECK_FALSE(all_degrees(rewired, 6));
  // Roughly half of the lattice friendships moved.
  std::size_t kept = 0;
  for (const auto& edge : lattice.edges()) kept += rewired.has_edge(edge.a, edge.b) ? 1 : 0;
  CHECK(kept > 100);
  CHECK(kept < 200);

  // Fully rewired and nearly complete: the dense fallback still finds non-friends.
  const FriendGraph dense = watts_strogatz_graph(12, 10, 1.0, seeded(4));
  CHECK(dense.edge_count() == 60);
}

TEST_CASE("random graphs: Watts-Strogatz parameter errors") {
  CHECK_THROWS_WITH(watts_strogatz_graph(10, 3, 0.1, seeded(1)), Contains("k must be even"));
  CHECK_THROWS_WITH(watts_strogatz_graph(10, 10, 0.1, seeded(1)),
                    Contains("k must be less than n"));
  CHECK_THROWS_WITH(watts_strogatz_graph(10, 2, 2.0, seeded(1)), Contains("not a probability"));
  CHECK(watts_strogatz_graph(10, 0, 0.5, seeded(1)).edge_count() == 0);
}

TEST_CASE("random graphs: Barabasi-Albert counts minimum degree and hubs") {
  const std::size_t n = 500;
  const std::size_t m = 3;
  const FriendGraph graph = barabasi_albert_graph(n, m, seeded(8));
  CHECK(graph.edge_count() == m * (m + 1) / 2 + m * (n - m - 1));
  const DegreeSummary degrees = degree_summary(graph);
  CHECK(degrees.min == m);
  CHECK(degrees.max > 5 * m);  // preferential attachment grows hubs
  CHECK(is_connected(graph));
  // The first m+1 servers start as a complete graph.
  CHECK(graph.has_edge(0, 3));
  CHECK(barabasi_albert_graph(4, 3, seeded(1)) == complete_graph(4));
}

TEST_CASE("random graphs: Barabasi-Albert parameter errors") {
  CHECK_THROWS_WITH(barabasi_albert_graph(10, 0, seeded(1)), Contains("needs 1 <= m < n"));
  CHECK_THROWS_WITH(barabasi_albert_graph(10, 10, seeded(1)), Contains("needs 1 <= m < n"));
}

TEST_CASE("random graphs: random regular gives every server exactly d friends") {
  for (const auto& [n, d] : {std::pair<std::size_t, std::size_t>{10, 3}, {50, 4}, {200, 7},
                             {30, 29}, {8, 0}}) {
    INFO("n=" << n << " d=" << d);
    const FriendGraph graph = random_regular_graph(n, d, seeded(n + d));
    CHECK(graph.edge_count() == n * d / 2);
    CHECK(all_degrees(graph, d));
  }
}

TEST_CASE("random graphs: random regular parameter errors") {
  CHECK_THROWS_WITH(random_regular_graph(5, 3, seeded(1)), Contains("n*d must be even"));
  CHECK_THROWS_WITH(random_regular_graph(5, 5, seeded(1)), Contains("d must be less than n"));
}

TEST_CASE("random graphs: ensure_connected redraws until the graph is connected") {
  RandomGraphOptions options = seeded(5);
  // At this density a 60-server G(n,p) is usually disconnected.
  bool some_disconnected = false;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    some_disconnected =
        some_disconnected || !is_connected(erdos_renyi_graph(60, 0.06, seeded(seed)));
  }
  REQUIRE(some_disconnected);
  options.ensure_connected = true;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    options.seed = seed;
    CHECK(is_connected(erdos_renyi_graph(60, 0.06, options)));
  }
}

TEST_CASE("random graphs: ensure_connected gives up with a clear error") {
  RandomGraphOptions options = seeded(5);
  options.ensure_connected = true;
  options.max_attempts = 4;
  // A perfect matching on 10 servers is never connected.
  CHECK_THROWS_WITH(random_regular_graph(10, 1, options),
                    Contains("random_regular(n=10, d=1): no connected graph in 4 attempts "
                             "from seed 5"));
  options.max_attempts = 0;
  CHECK_THROWS_WITH(erdos_renyi_graph(10, 0.5, options),
                    Contains("max_attempts must be at least 1"));
}

TEST_CASE("random graphs: the name prefix option names the servers") {
  RandomGraphOptions options = seeded(1);
  options.prefix = "node";
  const FriendGraph graph = barabasi_albert_graph(12, 2, options);
  CHECK(graph.name(0) == "node00");
  CHECK(graph.name(11) == "node11");
}
