#include "herd/sim/graph_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "herd/sim/generators.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;
using herd::testing::TempDir;


TEST_CASE("graph files: the extension picks the format") {
  CHECK(graph_format_for("a/b.dot") == GraphFileFormat::dot);
  CHECK(graph_format_for("b.GV") == GraphFileFormat::dot);
  CHECK(graph_format_for("b.gml") == GraphFileFormat::gml);
  CHECK(graph_format_for("b.edges") == GraphFileFormat::edge_list);
  CHECK(graph_format_for("b.txt") == GraphFileFormat::edge_list);
  CHECK_FALSE(graph_format_for("b.json"));
  CHECK_FALSE(graph_format_for("noextension"));
  CHECK(graph_format_name(GraphFileFormat::edge_list) == "edge list");
}

TEST_CASE("graph files: each format loads from disk") {
  const TempDir dir;
  const auto dot = dir.write("g.dot", "graph { a -- b -- c }");
  const auto gml = dir.write("g.gml", "graph [ node [ id 0 label \"a\" ] node [ id 1 label \"b\" ]"
                                      " edge [ source 0 target 1 ] ]");
  const auto edges = dir.write("g.txt", "a b\nb c\nc a\n");
  CHECK(load_graph_file(dot).edge_count() == 2);
  CHECK(load_graph_file(gml).edge_count() == 1);
  CHECK(load_graph_file(edges).edge_count() == 3);
  // An explicit format overrides the extension.
  const auto odd = dir.write("g.data", "x y\n");
  CHECK(load_graph_file(odd, GraphFileFormat::edge_list).edge_count() == 1);
}

TEST_CASE("graph files: a saved DOT file loads back identical") {
  const TempDir dir;
  const FriendGraph graph = grid_graph(5, 6, true);
  const auto file = dir.path() / "grid.dot";
  save_dot_file(file, graph);
  CHECK(load_graph_file(file) == graph);
}

TEST_CASE("graph files: errors name the file") {
  const TempDir dir;
  const auto broken = dir.write("broken.dot", "graph {\n a -- b\n a -> c\n}\n");
  CHECK_THROWS_WITH(load_graph_file(broken),
                    broken.string() + ":3: '->' is a directed edge; friend graphs are "
                                      "undirected, write '--'");
  const auto missing = dir.path() / "missing.dot";
  CHECK_THROWS_WITH(load_graph_file(missing),
                    missing.string() + ": cannot read graph file: no such file");
  CHECK_THROWS_WITH(load_graph_file(dir.path() / "g.json"),
                    Contains("unknown graph file extension '.json'"));
  std::filesystem::create_directories(dir.path() / "dir.dot");
  CHECK_THROWS_WITH(load_graph_file(dir.path() / "dir.dot"), Contains("not a regular file"));
  CHECK_THROWS_WITH(save_dot_file(dir.path() / "no" / "such" / "dir.dot", line_graph(2)),
                    Contains("cannot open for writing"));
}
