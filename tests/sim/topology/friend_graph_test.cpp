#include "herd/sim/friend_graph.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace herd::sim;
using Catch::Matchers::Contains;

namespace {

std::vector<ServerIndex> as_vector(std::span<const ServerIndex> span) {
  return {span.begin(), span.end()};
}

}  // namespace

TEST_CASE("friend graph: numbered servers are zero-padded to the width of n-1") {
  CHECK(FriendGraph::numbered(1).names() == std::vector<std::string>{"s0"});
  CHECK(FriendGraph::numbered(10).names().back() == "s9");
  CHECK(FriendGraph::numbered(11).names().front() == "s00");
  CHECK(FriendGraph::numbered(11).names().back() == "s10");
  const auto big = FriendGraph::numbered(10'000);
  CHECK(big.names().front() == "s0000");
  CHECK(big.names().back() == "s9999");
  CHECK(FriendGraph::numbered(3, "edge-").names() ==
        std::vector<std::string>{"edge-0", "edge-1", "edge-2"});
  CHECK(FriendGraph::numbered(0).size() == 0);
  CHECK(numbered_server_name("s", 7, 101) == "s007");
}

TEST_CASE("friend graph: neighbours stay sorted whatever the insertion order") {
  FriendGraph graph = FriendGraph::numbered(6);
  graph.add_edge(0, 5);
  graph.add_edge(3, 0);
  graph.add_edge(0, 1);
  graph.add_edge(4, 0);
  CHECK(as_vector(graph.neighbours(0)) == std::vector<ServerIndex>{1, 3, 4, 5});
  CHECK(as_vector(graph.neighbours(5)) == std::vector<ServerIndex>{0});
  CHECK(graph.degree(0) == 4);
  CHECK(graph.degree(2) == 0);
  CHECK(graph.edge_count() == 4);
  CHECK(graph.has_edge(3, 0));
  CHECK(graph.has_edge(0, 3));
  CHECK_FALSE(graph.has_edge(1, 3));
  CHECK_FALSE(graph.has_edge(0, 99));
  const std::vector<Friendship> expected = {{0, 1}, {0, 3}, {0, 4}, {0, 5}};
  CHECK(graph.edges() == expected);
}

TEST_CASE("friend graph: edges come out as sorted normalised pairs") {
  FriendGraph graph = FriendGraph::numbered(4);
  graph.add_edge(3, 2);
  graph.add_edge(1, 0);
  graph.add_edge(2, 0);
  const std::vector<Friendship> expected = {{0, 1}, {0, 2}, {2, 3}};
  CHECK(graph.edges() == expected);
}

TEST_CASE("friend graph: self loops duplicates and bad indices are refused by name") {
  FriendGraph graph({"Bailey", "Bona", "Campbell"});
  graph.add_edge("Bailey", "Bona");
  CHECK_THROWS_WITH(graph.add_edge("Bona", "Bona"),
                    "self loop: server 'Bona' cannot be its own friend");
  CHECK_THROWS_WITH(graph.add_edge("Bona", "Bailey"),
                    "duplicate friendship 'Bona' -- 'Bailey'");
  CHECK_THROWS_WITH(graph.add_edge(0, 7), Contains("server index 7 is out of range"));
  CHECK_THROWS_WITH(graph.add_edge("Bailey", "Clark"), "no server named 'Clark'");
  CHECK_THROWS_AS(graph.neighbours(3), TopologyError);
  CHECK_THROWS_AS(graph.name(3), TopologyError);
  CHECK(graph.edge_count() == 1);
}

TEST_CASE("friend graph: server names must be unique protocol tokens") {
  FriendGraph graph;
  CHECK(graph.add_server("Clark") == 0);
  CHECK(graph.add_server("Jaquez") == 1);
  CHECK_THROWS_WITH(graph.add_server("Clark"), "duplicate server name 'Clark'");
  CHECK_THROWS_WITH(graph.add_server(""), "a server name must not be empty");
  CHECK_THROWS_WITH(graph.add_server("two words"), Contains("contains whitespace"));
  CHECK_THROWS_WITH(graph.add_server("tab\there"), Contains("contains whitespace"));
  CHECK_THROWS_WITH(graph.add_server(std::string(256, 'x')), Contains("longer than 255"));
  CHECK(graph.add_server("\xc3\xbc" "ber") == 2);  // UTF-8 is fine
  CHECK_THROWS_AS(FriendGraph(std::vector<std::string>{"a", "b", "a"}), TopologyError);
  CHECK(graph.size() == 3);
}

TEST_CASE("friend graph: lookups by name") {
  const FriendGraph graph({"Bailey", "Bona"});
  CHECK(graph.index_of("Bona") == 1);
  CHECK(graph.find("Bailey") == std::optional<ServerIndex>{0});
  CHECK_FALSE(graph.find("bona"));
  CHECK(graph.name(1) == "Bona");
  CHECK_THROWS_WITH(graph.index_of("Clark"), "no server named 'Clark'");
}

TEST_CASE("friend graph: removing a friendship updates both ends") {
  FriendGraph graph = FriendGraph::numbered(3);
  graph.add_edge(0, 1);
  graph.add_edge(1, 2);
  CHECK(graph.remove_edge(1, 0));
  CHECK_FALSE(graph.remove_edge(0, 1));
  CHECK_FALSE(graph.has_edge(0, 1));
  CHECK(graph.edge_count() == 1);
  CHECK(as_vector(graph.neighbours(1)) == std::vector<ServerIndex>{2});
  CHECK(graph.degree(0) == 0);
}

TEST_CASE("friend graph: converts to Boost.Graph and back unchanged") {
  FriendGraph graph({"a", "b", "c", "d"});
  graph.add_edge("a", "b");
  graph.add_edge("b", "c");
  graph.add_edge("d", "a");
  const BoostGraph boost_graph = graph.to_boost();
  CHECK(boost::num_vertices(boost_graph) == 4);
  CHECK(boost::num_edges(boost_graph) == 3);
  CHECK(boost::edge(3, 0, boost_graph).second);
  CHECK(FriendGraph::from_boost(boost_graph, graph.names()) == graph);

  const FriendGraph numbered = FriendGraph::from_boost(boost_graph);
  CHECK(numbered.names() == std::vector<std::string>{"s0", "s1", "s2", "s3"});
  CHECK(numbered.edges() == graph.edges());
}

TEST_CASE("friend graph: a Boost graph with parallel edges or the wrong name count is refused") {
  BoostGraph parallel(2);
  boost::add_edge(0, 1, parallel);
  boost::add_edge(1, 0, parallel);
  CHECK_THROWS_WITH(FriendGraph::from_boost(parallel), Contains("duplicate friendship"));
  BoostGraph loop(1);
  boost::add_edge(0, 0, loop);
  CHECK_THROWS_WITH(FriendGraph::from_boost(loop), Contains("self loop"));
  CHECK_THROWS_WITH(FriendGraph::from_boost(BoostGraph(3), {"a", "b"}),
                    "Boost graph has 3 vertices but 2 names were given");
}

TEST_CASE("friend graph: equality needs the same names order and friendships") {
  FriendGraph a = FriendGraph::numbered(3);
  FriendGraph b = FriendGraph::numbered(3);
  a.add_edge(0, 1);
  CHECK_FALSE(a == b);
  b.add_edge(1, 0);
  CHECK(a == b);
  CHECK_FALSE(a == FriendGraph({"s1", "s0", "s2"}));
}

// The index of names is a hash table that grows as servers are added one by one: every
// name must still be found where it was put, and a duplicate refused, across its growth.
TEST_CASE("Names added one by one stay findable and unique while the name index grows") {
  FriendGraph graph;
  for (int i = 0; i < 5000; ++i) graph.add_server("node-" + std::to_string(i * 7));
  for (int i = 0; i < 5000; ++i) {
    const auto found = graph.find("node-" + std::to_string(i * 7));
    REQUIRE(found);
    CHECK(*found == static_cast<ServerIndex>(i));
  }
  CHECK_FALSE(graph.find("node-1"));
  CHECK_FALSE(graph.find(""));
  CHECK_THROWS_WITH(graph.add_server("node-34993"), Contains("duplicate server name 'node-34993'"));
  CHECK_THROWS_WITH(graph.index_of("node-2"), Contains("no server named 'node-2'"));
  CHECK(graph.size() == 5000);

  const FriendGraph copy = graph;  // a copy keeps its own index
  CHECK(copy.index_of("node-700") == 100);
  CHECK_FALSE(FriendGraph().find("s0"));
}

TEST_CASE("friend graph: release hands over the names and friend lists and leaves it empty") {
  FriendGraph graph({"c", "a", "b", "d"});
  graph.add_edge("c", "d");
  graph.add_edge("c", "a");
  graph.add_edge("b", "a");
  const FriendGraph copy = graph;
  FriendGraph::Parts parts = std::move(graph).release();
  CHECK(parts.names == copy.names());
  REQUIRE(parts.adjacency.size() == copy.size());
  for (ServerIndex i = 0; i < copy.size(); ++i) {
    CHECK(parts.adjacency[i] == as_vector(copy.neighbours(i)));
  }
  CHECK(parts.adjacency[0] == std::vector<ServerIndex>{1, 3});  // ascending
  CHECK(graph.size() == 0);  // NOLINT(bugprone-use-after-move): released graphs are empty
  CHECK(graph.edge_count() == 0);
  graph.add_server("e");  // and usable again
  CHECK(graph.index_of("e") == 0);
}
