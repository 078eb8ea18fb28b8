// Herd-sized graphs: generation and analysis at the scale the simulator runs. No timing
// assertions; run with `--durations yes` to see how long each took.

#include "herd/sim/random_graphs.hpp"

#include <catch2/catch.hpp>

#include "herd/sim/topology_stats.hpp"

using namespace herd::sim;

TEST_CASE("large graphs: a 10000-server Watts-Strogatz graph generates with n*k/2 friendships") {
  RandomGraphOptions options;
  options.seed = 2023;
  const FriendGraph graph = watts_strogatz_graph(10'000, 6, 0.1, options);
  CHECK(graph.size() == 10'000);
  CHECK(graph.edge_count() == 30'000);
  CHECK(graph.name(0) == "s0000");
  CHECK(graph.name(9'999) == "s9999");
}

TEST_CASE("large graphs: stats of a 10000-server Watts-Strogatz graph") {
  RandomGraphOptions options;
  options.seed = 2023;
  const FriendGraph graph = watts_strogatz_graph(10'000, 6, 0.1, options);
  const TopologyStats stats = topology_stats(graph);
  CHECK(stats.servers == 10'000);
  CHECK(stats.degree.mean == Approx(6.0));
  CHECK(stats.degree.min >= 3);  // each server keeps its own k/2 lattice ends or rewires them
  REQUIRE(stats.components == 1);
  REQUIRE(stats.diameter_hops);
  // A small world: far below the lattice's n/k = 1667 hops, above log(n)/log(k) = 5.1.
  CHECK(*stats.diameter_hops >= 6);
  CHECK(*stats.diameter_hops <= 40);
  CHECK(*stats.radius_hops <= *stats.diameter_hops);
}

TEST_CASE("large graphs: a 1000-server Barabasi-Albert graph and its stats") {
  RandomGraphOptions options;
  options.seed = 2023;
  const FriendGraph graph = barabasi_albert_graph(1'000, 3, options);
  CHECK(graph.edge_count() == 6 + 3 * 996);
  const TopologyStats stats = topology_stats(graph);
  CHECK(stats.components == 1);
  CHECK(stats.degree.min == 3);
  CHECK(stats.degree.max > 30);
  REQUIRE(stats.diameter_hops);
  CHECK(*stats.diameter_hops <= 10);
  CHECK(stats.articulation_points.empty());
  CHECK(stats.bridges.empty());
}
