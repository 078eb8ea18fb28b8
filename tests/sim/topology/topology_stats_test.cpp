#include "herd/sim/topology_stats.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "herd/sim/generators.hpp"

using namespace herd::sim;

TEST_CASE("topology stats: a five-server line") {
  const FriendGraph line = line_graph(5);
  const TopologyStats stats = topology_stats(line);
  CHECK(stats.servers == 5);
  CHECK(stats.friendships == 4);
  CHECK(stats.components == 1);
  CHECK(stats.largest_component_servers == 5);
  CHECK(stats.diameter_computed);
  CHECK(stats.diameter_hops == std::optional<std::uint32_t>{4});
  CHECK(stats.radius_hops == std::optional<std::uint32_t>{2});
  CHECK(stats.articulation_points == std::vector<ServerIndex>{1, 2, 3});
  CHECK(stats.bridges.size() == 4);
  CHECK(format_topology_report(line, stats) ==
        "servers: 5\n"
        "friendships: 4\n"
        "components: 1 (largest 5 servers)\n"
        "diameter: 4 hops\n"
        "radius: 2 hops\n"
        "degree: min 1, mean 1.600, max 2, stddev 0.490\n"
        "articulation points: 3: s1 s2 s3\n"
        "bridges: 4: s0--s1 s1--s2 s2--s3 s3--s4\n");
}

TEST_CASE("topology stats: a complete graph has one-hop diameter and nothing critical") {
  const FriendGraph graph = complete_graph(4);
  CHECK(format_topology_report(graph, topology_stats(graph)) ==
        "servers: 4\n"
        "friendships: 6\n"
        "components: 1 (largest 4 servers)\n"
        "diameter: 1 hop\n"
        "radius: 1 hop\n"
        "degree: min 3, mean 3.000, max 3, stddev 0.000\n"
        "articulation points: 0\n"
        "bridges: 0\n");
}

TEST_CASE("topology stats: a disconnected graph reports an infinite diameter") {
  FriendGraph graph = FriendGraph::numbered(5);
  graph.add_edge(0, 1);
  graph.add_edge(1, 2);
  const TopologyStats stats = topology_stats(graph);
  CHECK(stats.components == 3);
  CHECK(stats.largest_component_servers == 3);
  CHECK(stats.diameter_computed);
  CHECK_FALSE(stats.diameter_hops);
  const std::string report = format_topology_report(graph, stats);
  CHECK_THAT(report, Catch::Matchers::Contains("components: 3 (largest 3 servers)\n"));
  CHECK_THAT(report, Catch::Matchers::Contains("diameter: infinite (3 components)\n"));
  CHECK_THAT(report, Catch::Matchers::Contains("radius: infinite (3 components)\n"));
}

TEST_CASE("topology stats: the empty graph") {
  const FriendGraph graph;
  CHECK(format_topology_report(graph, topology_stats(graph)) ==
        "servers: 0\n"
        "friendships: 0\n"
        "components: 0\n"
        "diameter: undefined (no servers)\n"
        "radius: undefined (no servers)\n"
        "degree: min 0, mean 0.000, max 0, stddev 0.000\n"
        "articulation points: 0\n"
        "bridges: 0\n");
}

TEST_CASE("topology stats: the diameter is skipped above the exact limit") {
  StatsOptions options;
  options.exact_diameter_max_servers = 9;
  const FriendGraph ring = ring_graph(10);
  const TopologyStats stats = topology_stats(ring, options);
  CHECK_FALSE(stats.diameter_computed);
  CHECK_FALSE(stats.diameter_hops);
  CHECK_THAT(format_topology_report(ring, stats, options),
             Catch::Matchers::Contains(
                 "diameter: not computed (10 servers > 9; the exact value needs a BFS from "
                 "every server)\n"));
  CHECK(topology_stats(ring).diameter_hops == std::optional<std::uint32_t>{5});
}

TEST_CASE("topology stats: long lists are cut at the report limit") {
  StatsOptions options;
  options.report_list_limit = 2;
  const FriendGraph line = line_graph(6);
  const std::string report = format_topology_report(line, topology_stats(line), options);
  CHECK_THAT(report, Catch::Matchers::Contains("articulation points: 4: s1 s2 ... (+2 more)\n"));
  CHECK_THAT(report, Catch::Matchers::Contains("bridges: 5: s0--s1 s1--s2 ... (+3 more)\n"));
}

TEST_CASE("topology stats: the report is identical for identical graphs") {
  const FriendGraph a = grid_graph(7, 9, true);
  const FriendGraph b = grid_graph(7, 9, true);
  CHECK(format_topology_report(a, topology_stats(a)) ==
        format_topology_report(b, topology_stats(b)));
}
