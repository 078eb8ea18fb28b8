#include "herd/sim/generators.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "herd/sim/graph_metrics.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;

namespace {

std::uint32_t diameter_of(const FriendGraph& graph) {
  const auto extremes = distance_extremes(graph);
  REQUIRE(extremes);
  return extremes->diameter_hops;
}

std::size_t count_degree(const FriendGraph& graph, std::size_t degree) {
  std::size_t count = 0;
  for (ServerIndex i = 0; i < graph.size(); ++i) count += graph.degree(i) == degree ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("generators: line has n-1 friendships two ends and diameter n-1") {
  for (const std::size_t n : {1, 2, 5, 100}) {
    const FriendGraph graph = line_graph(n);
    CHECK(graph.size() == n);
    CHECK(graph.edge_count() == n - 1);
    CHECK(diameter_of(graph) == n - 1);
    if (n >= 2) CHECK(count_degree(graph, 1) == 2);
    if (n >= 3) CHECK(count_degree(graph, 2) == n - 2);
  }
  CHECK(line_graph(0).size() == 0);
  CHECK(line_graph(3, "x").names() == std::vector<std::string>{"x0", "x1", "x2"});
}

TEST_CASE("generators: ring has n friendships degree 2 and diameter floor of n/2") {
  for (const std::size_t n : {3, 4, 7, 10, 101}) {
    const FriendGraph graph = ring_graph(n);
    CHECK(graph.edge_count() == n);
    CHECK(count_degree(graph, 2) == n);
    CHECK(diameter_of(graph) == n / 2);
    CHECK(graph.has_edge(0, static_cast<ServerIndex>(n - 1)));
  }
  CHECK_THROWS_WITH(ring_graph(2), Contains("a ring needs at least 3 servers"));
}

TEST_CASE("generators: star has one hub of degree n-1 and diameter 2") {
  const FriendGraph graph = star_graph(9);
  CHECK(graph.edge_count() == 8);
  CHECK(graph.degree(0) == 8);
  CHECK(count_degree(graph, 1) == 8);
  CHECK(diameter_of(graph) == 2);
  CHECK(diameter_of(star_graph(2)) == 1);
  CHECK(star_graph(1).edge_count() == 0);
}

TEST_CASE("generators: grid has rows+cols-2 diameter and the lattice edge count") {
  for (const auto& [rows, cols] : {std::pair<std::size_t, std::size_t>{1, 1}, {1, 5}, {3, 4},
                                   {6, 6}, {10, 3}}) {
    const FriendGraph graph = grid_graph(rows, cols);
    CHECK(graph.size() == rows * cols);
    CHECK(graph.edge_count() == rows * (cols - 1) + cols * (rows - 1));
    CHECK(diameter_of(graph) == rows + cols - 2);
  }
  const FriendGraph three_by_four = grid_graph(3, 4);
  CHECK(count_degree(three_by_four, 2) == 4);  // corners
  CHECK(three_by_four.has_edge(0, 4));         // (0,0) -- (1,0)
  CHECK(three_by_four.has_edge(0, 1));         // (0,0) -- (0,1)
}

TEST_CASE("generators: torus grid is 4-regular with the wrapped diameter") {
  const FriendGraph graph = grid_graph(4, 5, true);
  CHECK(graph.edge_count() == 2 * 20);
  CHECK(count_degree(graph, 4) == 20);
  CHECK(diameter_of(graph) == 4 / 2 + 5 / 2);
  CHECK(graph.has_edge(0, 4));   // row 0 wraps
  CHECK(graph.has_edge(0, 15));  // column 0 wraps
  CHECK_THROWS_WITH(grid_graph(2, 5, true),
                    Contains("a torus needs at least 3 rows and 3 columns"));
}

TEST_CASE("generators: k-ary tree has parent (i-1)/k and diameter twice its height") {
  // Full binary tree of height 3: 15 servers, diameter 6.
  const FriendGraph binary = kary_tree_graph(15, 2);
  CHECK(binary.edge_count() == 14);
  CHECK(binary.has_edge(0, 1));
  CHECK(binary.has_edge(0, 2));
  CHECK(binary.has_edge(6, 14));
  CHECK(count_degree(binary, 1) == 8);  // leaves
  CHECK(diameter_of(binary) == 6);
  // Full ternary tree of height 2: 13 servers, diameter 4.
  const FriendGraph ternary = kary_tree_graph(13, 3);
  CHECK(ternary.degree(0) == 3);
  CHECK(diameter_of(ternary) == 4);
  // A partial last level only reaching the root's first subtree: depth 3 + depth 2.
  CHECK(diameter_of(kary_tree_graph(8, 2)) == 5);
  // k = 1 is a line.
  CHECK(kary_tree_graph(6, 1) == line_graph(6));
  CHECK_THROWS_WITH(kary_tree_graph(5, 0), Contains("k must be at least 1"));
}

TEST_CASE("generators: complete graph has n(n-1)/2 friendships and diameter 1") {
  const FriendGraph graph = complete_graph(12);
  CHECK(graph.edge_count() == 66);
  CHECK(count_degree(graph, 11) == 12);
  CHECK(diameter_of(graph) == 1);
  CHECK(complete_graph(1).edge_count() == 0);
  CHECK_THROWS_WITH(complete_graph(100'000), Contains("friendships"));
}

TEST_CASE("generators: sizes beyond the server limit are refused before allocating") {
  CHECK_THROWS_WITH(line_graph(kMaxServers + 1), Contains("exceeds the limit"));
  CHECK_THROWS_WITH(grid_graph(kMaxServers, 2), Contains("exceeds the limit"));
  CHECK_THROWS_WITH(star_graph(kMaxServers + 1), Contains("exceeds the limit"));
}
