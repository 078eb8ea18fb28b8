#include "herd/sim/gml_format.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "herd/sim/dot_format.hpp"

using namespace herd::sim;

namespace {

std::string gml_error(const std::string& text) {
  try {
    (void)parse_gml(text, "herd.gml");
  } catch (const TopologyError& error) {
    return error.what();
  }
  FAIL("no error for: " << text);
  return {};
}

}  // namespace

TEST_CASE("gml: nodes edges and labels as networkx writes them") {
  const FriendGraph graph = parse_gml(R"(graph [
  directed 0
  node [
    id 0
    label "Bailey"
  ]
  node [ id 1 label "Bona" ]
  node [ id 7 label "Campbell" ]
  edge [ source 0 target 1 ]
  edge [ source 7 target 0 weight 2.5 ]
])");
  CHECK(graph.names() == std::vector<std::string>{"Bailey", "Bona", "Campbell"});
  CHECK(graph.edge_count() == 2);
  CHECK(graph.has_edge(graph.index_of("Campbell"), graph.index_of("Bailey")));
}

TEST_CASE("gml: ids name unlabelled nodes and other keys are ignored") {
  const FriendGraph graph = parse_gml(R"(# exported
Creator "yEd"
Version 2.2
graph [
  label "herd"
  node [ id -3 graphics [ x 1.0e2 y -4 type "oval" ] ]
  node [ id 12 label 5 ]
  edge [ target -3 source 12 ]
]
)");
  CHECK(graph.names() == std::vector<std::string>{"-3", "5"});
  CHECK(graph.edge_count() == 1);
}

TEST_CASE("gml: character entities in labels") {
  const FriendGraph graph =
      parse_gml("graph [ node [ id 0 label \"&quot;q&quot;&amp;&#233;&#x41;&bogus;\" ] ]");
  CHECK(graph.name(0) == "\"q\"&\xc3\xa9" "A&bogus;");
}

TEST_CASE("gml: round-trips through the DOT writer") {
  const FriendGraph graph = parse_gml(R"(graph [
  node [ id 0 label "a" ] node [ id 1 label "b" ] node [ id 2 label "c" ] node [ id 3 label "d" ]
  edge [ source 0 target 1 ] edge [ source 1 target 2 ] edge [ source 3 target 0 ]
])");
  CHECK(parse_dot(to_dot(graph)) == graph);
}

TEST_CASE("gml: graph-level errors name the file and line") {
  CHECK(gml_error("Creator \"x\"") == "herd.gml:1: no 'graph [ ... ]' in the file");
  CHECK(gml_error("graph [ ]\ngraph [ ]") ==
        "herd.gml:2: a second graph (the first starts on line 1); one graph per file");
  CHECK(gml_error("graph 5") == "herd.gml:1: 'graph' must be followed by a [ list ]");
  CHECK(gml_error("graph [\n directed 1\n]") ==
        "herd.gml:2: 'directed 1': friend graphs are undirected (write 'directed 0' or omit it)");
  CHECK(gml_error("graph [ directed \"no\" ]") == "herd.gml:1: 'directed' must be 0 or 1");
}

TEST_CASE("gml: node errors name the file and line") {
  CHECK(gml_error("graph [\n node [ label \"a\" ]\n]") == "herd.gml:2: 'node' without 'id'");
  CHECK(gml_error("graph [\n node [ id \"a\" ]\n]") == "herd.gml:2: 'id' must be an integer");
  CHECK(gml_error("graph [\n node [ id 1.5 ]\n]") == "herd.gml:2: 'id' must be an integer");
  CHECK(gml_error("graph [\n node [ id 1 ]\n node [ id 1 ]\n]") ==
        "herd.gml:3: duplicate node id 1 (first on line 2)");
  CHECK(gml_error("graph [\n node [ id 1 label \"x\" ]\n node [ id 2 label \"x\" ]\n]") ==
        "herd.gml:3: duplicate server name 'x'");
  CHECK(gml_error("graph [ node [ id 1 id 2 ] ]") == "herd.gml:1: 'node' has two 'id' keys");
  CHECK(gml_error("graph [ node 3 ]") == "herd.gml:1: 'node' must be followed by a [ list ]");
  CHECK(gml_error("graph [ node [ id 1 label [ x 1 ] ] ]") ==
        "herd.gml:1: 'label' must be a string or a number");
  CHECK(gml_error("graph [ node [ id 1 label \"two words\" ] ]") ==
        "herd.gml:1: server name 'two words' contains whitespace or a control character");
}

TEST_CASE("gml: edge errors name the file and line") {
  const std::string nodes = "graph [\n node [ id 0 ]\n node [ id 1 ]\n";
  CHECK(gml_error(nodes + " edge [ target 1 ]\n]") == "herd.gml:4: 'edge' without 'source'");
  CHECK(gml_error(nodes + " edge [ source 0\n target 9 ]\n]") ==
        "herd.gml:5: edge target 9 is not a node id");
  CHECK(gml_error(nodes + " edge [ source 1 target 1 ]\n]") ==
        "herd.gml:4: self loop: server '1' cannot be its own friend");
  CHECK(gml_error(nodes + " edge [ source 0 target 1 ]\n edge [ source 1 target 0 ]\n]") ==
        "herd.gml:5: duplicate friendship '1' -- '0'");
}

TEST_CASE("gml: syntax errors name the file and line") {
  CHECK(gml_error("graph [\n node [ id 0 label \"open\n\n]") == "herd.gml:2: unterminated string");
  CHECK(gml_error("graph [\n node [ id 0 ]\n") == "herd.gml:3: missing ']' for the '[' on line 1");
  CHECK(gml_error("graph [ ]\n]") == "herd.gml:2: unexpected ']' (no list is open)");
  CHECK(gml_error("graph [ node [ id ] ]") == "herd.gml:1: key 'id' has no value");
  CHECK(gml_error("graph [ node [ id 12abc ] ]") ==
        "herd.gml:1: malformed number '12abc' for key 'id'");
  CHECK(gml_error("graph [ node [ id 99999999999999999999 ] ]") ==
        "herd.gml:1: number '99999999999999999999' for key 'id' is out of range");
  CHECK(gml_error("graph [ node [ id @ ] ]") ==
        "herd.gml:1: expected a value for key 'id', found '@'");
  CHECK(gml_error("graph [ 5 ]") == "herd.gml:1: expected a key, found '5'");
  CHECK(gml_error("graph [\n # comments only at line start\n x 1 # not here\n]") ==
        "herd.gml:3: expected a key, found '#'");
}

TEST_CASE("gml: lists nested too deeply are refused") {
  std::string text;
  for (int i = 0; i < 70; ++i) text += "a [ ";
  CHECK(gml_error(text) == "herd.gml:1: lists nested deeper than 64");
}
