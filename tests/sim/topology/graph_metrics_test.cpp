#include "herd/sim/graph_metrics.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "herd/sim/generators.hpp"

using namespace herd::sim;

namespace {

// Two triangles {0,1,2} and {3,4,5} joined by the single friendship 2 -- 3.
FriendGraph two_triangles_with_a_bridge() {
  FriendGraph graph = FriendGraph::numbered(6);
  graph.add_edge(0, 1);
  graph.add_edge(1, 2);
  graph.add_edge(0, 2);
  graph.add_edge(3, 4);
  graph.add_edge(4, 5);
  graph.add_edge(3, 5);
  graph.add_edge(2, 3);
  return graph;
}

}  // namespace

TEST_CASE("metrics: hop distances along a line count up from the source") {
  const FriendGraph line = line_graph(6);
  CHECK(hop_distances(line, 0) == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5});
  CHECK(hop_distances(line, 3) == std::vector<std::uint32_t>{3, 2, 1, 0, 1, 2});
  CHECK_THROWS_AS(hop_distances(line, 6), TopologyError);
}

TEST_CASE("metrics: unreachable servers are marked and have no eccentricity") {
  FriendGraph graph = FriendGraph::numbered(4);
  graph.add_edge(0, 1);
  graph.add_edge(2, 3);
  const auto distance = hop_distances(graph, 0);
  CHECK(distance[1] == 1);
  CHECK(distance[2] == kUnreachable);
  CHECK(distance[3] == kUnreachable);
  CHECK_FALSE(eccentricity(graph, 0));
  CHECK_FALSE(distance_extremes(graph));
  CHECK_FALSE(is_connected(graph));
}

TEST_CASE("metrics: eccentricity diameter and radius of a line") {
  const FriendGraph line = line_graph(7);
  CHECK(eccentricity(line, 0) == std::optional<std::uint32_t>{6});
  CHECK(eccentricity(line, 3) == std::optional<std::uint32_t>{3});
  const auto extremes = distance_extremes(line);
  REQUIRE(extremes);
  CHECK(extremes->diameter_hops == 6);
  CHECK(extremes->radius_hops == 3);
}

TEST_CASE("metrics: empty and single-server graphs") {
  CHECK_FALSE(distance_extremes(FriendGraph{}));
  CHECK(is_connected(FriendGraph{}));
  const FriendGraph one = FriendGraph::numbered(1);
  const auto extremes = distance_extremes(one);
  REQUIRE(extremes);
  CHECK(extremes->diameter_hops == 0);
  CHECK(eccentricity(one, 0) == std::optional<std::uint32_t>{0});
  CHECK(connected_components(FriendGraph{}).count() == 0);
  CHECK(articulation_points(FriendGraph{}).empty());
  CHECK(bridges(one).empty());
}

TEST_CASE("metrics: components are numbered by their lowest server") {
  FriendGraph graph = FriendGraph::numbered(7);
  graph.add_edge(5, 6);
  graph.add_edge(0, 3);
  graph.add_edge(3, 4);
  // 1 and 2 are alone.
  const Components components = connected_components(graph);
  CHECK(components.count() == 4);
  CHECK(components.component_of == std::vector<std::uint32_t>{0, 1, 2, 0, 0, 3, 3});
  CHECK(components.sizes == std::vector<std::size_t>{3, 1, 1, 2});
  CHECK(connected_components(ring_graph(9)).count() == 1);
}

TEST_CASE("metrics: a line has every inner server as articulation point and every link a bridge") {
  const FriendGraph line = line_graph(5);
  CHECK(articulation_points(line) == std::vector<ServerIndex>{1, 2, 3});
  const std::vector<Friendship> all = {{0, 1}, {1, 2}, {2, 3}, {3, 4}};
  CHECK(bridges(line) == all);
}

TEST_CASE("metrics: a ring has no articulation points and no bridges") {
  const FriendGraph ring = ring_graph(8);
  CHECK(articulation_points(ring).empty());
  CHECK(bridges(ring).empty());
}

TEST_CASE("metrics: a bridge between two triangles and its two ends are found") {
  const FriendGraph graph = two_triangles_with_a_bridge();
  CHECK(articulation_points(graph) == std::vector<ServerIndex>{2, 3});
  CHECK(bridges(graph) == std::vector<Friendship>{{2, 3}});
  CHECK(articulation_points(star_graph(5)) == std::vector<ServerIndex>{0});
  CHECK(bridges(star_graph(4)).size() == 3);
}

TEST_CASE("metrics: bridges and articulation points in a disconnected graph") {
  FriendGraph graph = FriendGraph::numbered(6);
  graph.add_edge(0, 1);  // a lone friendship: a bridge
  graph.add_edge(2, 3);  // a path 2 - 3 - 4: one articulation point, two bridges
  graph.add_edge(3, 4);
  CHECK(articulation_points(graph) == std::vector<ServerIndex>{3});
  CHECK(bridges(graph) == std::vector<Friendship>{{0, 1}, {2, 3}, {3, 4}});
}

TEST_CASE("metrics: a long line does not exhaust the stack") {
  const FriendGraph line = line_graph(200'000);
  CHECK(articulation_points(line).size() == 199'998);
  CHECK(bridges(line).size() == 199'999);
  CHECK(connected_components(line).count() == 1);
}

TEST_CASE("metrics: degree summary of a star") {
  const DegreeSummary summary = degree_summary(star_graph(5));
  CHECK(summary.min == 1);
  CHECK(summary.max == 4);
  CHECK(summary.mean == Approx(1.6));
  // Degrees 4,1,1,1,1: deviations 2.4 and -0.6 -> variance (5.76 + 4 * 0.36) / 5 = 1.44.
  CHECK(summary.stddev == Approx(1.2));
  const DegreeSummary empty = degree_summary(FriendGraph{});
  CHECK(empty.max == 0);
  CHECK(empty.mean == 0.0);
}
