#include "herd/sim/dot_format.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "herd/sim/generators.hpp"
#include "herd/sim/random_graphs.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The message parse_dot throws for `text` read as "herd.dot".
std::string dot_error(const std::string& text) {
  try {
    (void)parse_dot(text, "herd.dot");
  } catch (const TopologyError& error) {
    return error.what();
  }
  FAIL("no error for: " << text);
  return {};
}

}  // namespace

TEST_CASE("dot: servers friendships and chains") {
  const FriendGraph graph = parse_dot(R"(graph winter {
    Bailey; Bona
    Clark -- Jaquez -- Bona -- Bailey;
    Campbell -- Bailey
  })");
  CHECK(graph.names() ==
        std::vector<std::string>{"Bailey", "Bona", "Clark", "Jaquez", "Campbell"});
  CHECK(graph.edge_count() == 4);
  CHECK(graph.has_edge(graph.index_of("Clark"), graph.index_of("Jaquez")));
  CHECK(graph.has_edge(graph.index_of("Jaquez"), graph.index_of("Bona")));
  CHECK(graph.has_edge(graph.index_of("Bona"), graph.index_of("Bailey")));
  CHECK(graph.has_edge(graph.index_of("Campbell"), graph.index_of("Bailey")));
}

TEST_CASE("dot: attributes settings and comments are ignored") {
  const FriendGraph graph = parse_dot(R"(
# preprocessor line
/* a block
   comment */
strict graph "g" {
  graph [rankdir=LR, label="friends"]; node [shape=box]
  edge [color=red; style=bold][penwidth=2]
  rankdir = LR
  a [label=<<b>A</b>>, color="blue"]  // trailing comment
  a -- b [weight=3]
  "c" -- b
})");
  CHECK(graph.names() == std::vector<std::string>{"a", "b", "c"});
  CHECK(graph.edge_count() == 2);
}

TEST_CASE("dot: quoted numeral and html names") {
  const FriendGraph graph = parse_dot(R"(graph {
  "say\"hi\"" -- 42 -- -1.5 -- <x<y>> -- "back\slash" -- "line\
joined" -- "graph"
})");
  CHECK(graph.names() == std::vector<std::string>{"say\"hi\"", "42", "-1.5", "x<y>",
                                                  "back\\slash", "linejoined", "graph"});
}

TEST_CASE("dot: keywords are case-insensitive") {
  const FriendGraph graph = parse_dot("STRICT Graph { NODE [shape=box] a -- b; a -- b }");
  CHECK(graph.edge_count() == 1);
}

TEST_CASE("dot: subgraphs connect to each of their servers") {
  const FriendGraph graph = parse_dot(R"(graph {
  hub -- { a b c }
  subgraph cluster_x { d -- e } -- hub
  { a; a } -- d
})");
  CHECK(graph.names() == std::vector<std::string>{"hub", "a", "b", "c", "d", "e"});
  const auto hub = graph.index_of("hub");
  CHECK(graph.degree(hub) == 5);
  CHECK(graph.has_edge(graph.index_of("d"), graph.index_of("e")));
  CHECK(graph.has_edge(graph.index_of("a"), graph.index_of("d")));
  CHECK(graph.edge_count() == 7);
}

TEST_CASE("dot: a strict graph merges duplicate friendships") {
  const FriendGraph graph = parse_dot("strict graph { a -- b; b -- a; a -- b }");
  CHECK(graph.edge_count() == 1);
}

TEST_CASE("dot: the writer round-trips generated graphs") {
  for (const FriendGraph& graph :
       {line_graph(1), ring_graph(12), grid_graph(4, 5, true), kary_tree_graph(40, 3),
        barabasi_albert_graph(200, 3, RandomGraphOptions{}), FriendGraph{}}) {
    const std::string text = to_dot(graph);
    CHECK(parse_dot(text) == graph);
  }
}

TEST_CASE("dot: the writer quotes names that are not plain identifiers") {
  FriendGraph graph({"plain_1", "node", "9lives", "x-y", "q\"uote", "a\\b", "\xc3\xa9t\xc3\xa9"});
  graph.add_edge(0, 1);
  graph.add_edge(2, 3);
  graph.add_edge(4, 5);
  graph.add_edge(5, 6);
  const std::string text = to_dot(graph, "my herd");
  CHECK(text ==
        "graph \"my herd\" {\n"
        "  plain_1;\n"
        "  \"node\";\n"
        "  \"9lives\";\n"
        "  \"x-y\";\n"
        "  \"q\\\"uote\";\n"
        "  \"a\\b\";\n"
        "  \"\xc3\xa9t\xc3\xa9\";\n"
        "  plain_1 -- \"node\";\n"
        "  \"9lives\" -- \"x-y\";\n"
        "  \"q\\\"uote\" -- \"a\\b\";\n"
        "  \"a\\b\" -- \"\xc3\xa9t\xc3\xa9\";\n"
        "}\n");
  CHECK(parse_dot(text) == graph);
}

TEST_CASE("dot: a name ending in a backslash cannot be written") {
  const FriendGraph graph({"ok", "bad\\"});
  std::ostringstream out;
  CHECK_THROWS_WITH(write_dot(out, graph), Contains("ends in a backslash"));
  CHECK(out.str().empty());
}

TEST_CASE("dot: header errors name the file and line") {
  CHECK(dot_error("") == "herd.dot:1: expected 'graph' to start the file, found end of file");
  CHECK(dot_error("\n\ndigraph { a -> b }") ==
        "herd.dot:3: 'digraph' is directed; friend graphs are undirected, write 'graph'");
  CHECK(dot_error("graph g a -- b") ==
        "herd.dot:1: expected '{' after the graph header, found 'a'");
  CHECK(dot_error("graph { a -- b }\ngraph { c }") ==
        "herd.dot:2: unexpected 'graph' after the end of the graph (one graph per file)");
}

TEST_CASE("dot: edge errors name the file and line") {
  CHECK(dot_error("graph {\n a -> b\n}") ==
        "herd.dot:2: '->' is a directed edge; friend graphs are undirected, write '--'");
  CHECK(dot_error("graph {\n a -- b\n b -- a\n}") ==
        "herd.dot:3: duplicate friendship 'b' -- 'a' (write 'strict graph' to merge duplicates)");
  CHECK(dot_error("graph {\n\n a -- a }") ==
        "herd.dot:3: self loop: server 'a' cannot be its own friend");
  CHECK(dot_error("graph { a:n -- b }") ==
        "herd.dot:1: ports ('a:port') are not supported; friendships join servers");
  CHECK(dot_error("graph { a -- }") ==
        "herd.dot:1: expected a server name or subgraph after '--', found '}'");
  CHECK(dot_error("graph { a -- node }") ==
        "herd.dot:1: expected a server name or subgraph after '--', found 'node'");
}

TEST_CASE("dot: statement and attribute errors name the file and line") {
  CHECK(dot_error("graph {\n a -- b\n") == "herd.dot:3: missing '}' for the '{' on line 1");
  CHECK(dot_error("graph { node; }") ==
        "herd.dot:1: expected '[' after 'graph', 'node' or 'edge', found ';'");
  CHECK(dot_error("graph {\n a [color=red\n}") ==
        "herd.dot:3: expected an attribute name, found '}'");
  CHECK(dot_error("graph {\n a [color=red,\n") == "herd.dot:3: missing ']' for the '[' on line 2");
  CHECK(dot_error("graph { a [color=] }") ==
        "herd.dot:1: expected an attribute value after '=', found ']'");
  CHECK(dot_error("graph { rankdir = }") == "herd.dot:1: expected a value after '=', found '}'");
  CHECK(dot_error("graph { = }") == "herd.dot:1: expected a statement, found '='");
  CHECK(dot_error("graph { \"two words\" }") ==
        "herd.dot:1: server name 'two words' contains whitespace or a control character");
  CHECK(dot_error("graph { subgraph x a }") ==
        "herd.dot:1: expected '{' to open the subgraph, found 'a'");
}

TEST_CASE("dot: lexical errors name the file and line") {
  CHECK(dot_error("graph {\n \"open\n\n}") == "herd.dot:2: unterminated quoted string");
  CHECK(dot_error("graph {\n /* never closed\n}") == "herd.dot:2: unterminated /* comment");
  CHECK(dot_error("graph { <a <b> }") == "herd.dot:1: unterminated <html> string");
  CHECK(dot_error("graph {\n 1abc }") ==
        "herd.dot:2: '1abc' is not a DOT identifier (it starts with a digit); quote it");
  CHECK(dot_error("graph { \"a\" + \"b\" }") ==
        "herd.dot:1: string concatenation with '+' is not supported");
  CHECK(dot_error("graph { a - b }") == "herd.dot:1: unexpected '-' (edges are written '--')");
  CHECK(dot_error("graph { a @ b }") == "herd.dot:1: unexpected character '@'");
  CHECK(dot_error(std::string("graph { a \x01 }")) == "herd.dot:1: unexpected character '\\x01'");
}

TEST_CASE("dot: subgraphs nested too deeply are refused") {
  std::string text = "graph { ";
  for (int i = 0; i < 40; ++i) text += "{ ";
  text += "a ";
  for (int i = 0; i < 40; ++i) text += "} ";
  text += "}";
  CHECK(dot_error(text) == "herd.dot:1: subgraphs nested deeper than 32");
}
