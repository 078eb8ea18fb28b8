#include "herd/sim/edge_list_format.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "herd/sim/dot_format.hpp"
#include "herd/sim/random_graphs.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;

namespace {

std::string edge_list_error(const std::string& text) {
  try {
    (void)parse_edge_list(text, "herd.txt");
  } catch (const TopologyError& error) {
    return error.what();
  }
  FAIL("no error for: " << text);
  return {};
}

}  // namespace

TEST_CASE("edge list: pairs comments blank lines and lone servers") {
  const FriendGraph graph = parse_edge_list(
      "# the winter herd\n"
      "Clark Jaquez\n"
      "\n"
      "  Clark\tBona   # trailing comment\r\n"
      "Lonely\n"
      "Bona Bailey");
  CHECK(graph.names() == std::vector<std::string>{"Clark", "Jaquez", "Bona", "Lonely", "Bailey"});
  CHECK(graph.edge_count() == 3);
  CHECK(graph.degree(graph.index_of("Lonely")) == 0);
  CHECK(parse_edge_list("").size() == 0);
}

TEST_CASE("edge list: errors name the file and line") {
  CHECK(edge_list_error("a b\nb c 2.5\n") ==
        "herd.txt:2: expected two server names, found 3 fields (an edge list has one "
        "friendship per line; weights are not supported)");
  CHECK(edge_list_error("a b\n\n# x\nb a\n") == "herd.txt:4: duplicate friendship 'b' -- 'a'");
  CHECK(edge_list_error("a a") == "herd.txt:1: self loop: server 'a' cannot be its own friend");
  CHECK(edge_list_error("a b\nc \x01\n") ==
        "herd.txt:2: server name '\x01' contains whitespace or a control character");
}

TEST_CASE("edge list: the writer lists friendships then lone servers") {
  FriendGraph graph({"a", "b", "c", "d"});
  graph.add_edge("c", "a");
  graph.add_edge("a", "b");
  std::ostringstream out;
  write_edge_list(out, graph);
  CHECK(out.str() == "a b\na c\nd\n");
  const FriendGraph back = parse_edge_list(out.str());
  CHECK(back.size() == 4);
  CHECK(back.edge_count() == 2);
  CHECK(back.has_edge(back.index_of("a"), back.index_of("c")));

  std::ostringstream refused;
  CHECK_THROWS_WITH(write_edge_list(refused, FriendGraph({"ok", "has#hash"})),
                    Contains("contains '#'"));
  CHECK(refused.str().empty());
}

TEST_CASE("edge list: round-trips through the DOT writer") {
  const FriendGraph graph = parse_edge_list("x y\ny z\nz w\nw x\nq\n");
  CHECK(parse_dot(to_dot(graph)) == graph);
  const FriendGraph random = watts_strogatz_graph(80, 4, 0.3, RandomGraphOptions{});
  std::ostringstream out;
  write_edge_list(out, random);
  CHECK(parse_edge_list(out.str()).edge_count() == random.edge_count());
}
