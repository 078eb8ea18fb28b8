#pragma once
// GraphViz DOT for friend graphs: read hand-written or exported topologies, write graphs
// that GraphViz can draw and this reader reads back identically.
//
// Accepted subset (everything a friend graph needs, errors for the rest):
//   [strict] graph [name] { statements }   one undirected graph per file
//   a;  "quoted name";  a [attrs];          declares servers (attributes are ignored)
//   a -- b;  a -- b -- c;                   friendships, chains
//   a -- { b c };  subgraph x { ... }       subgraphs as node sets (edges to each member)
//   graph [..]; node [..]; edge [..]; k = v;  settings, ignored
//   // line, /* block */ and #-line comments; ';' optional between statements
// Refused with "source:line: what": digraph and '->', ports (a:p), self loops, duplicate
// friendships (unless the graph is `strict`, which merges them as GraphViz does), names
// FriendGraph rejects, unterminated strings/comments/lists, anything after the graph.
// Quoted strings follow GraphViz: \" is a quote, backslash-newline continues the line,
// other backslashes are kept as they are.
// Servers are numbered in order of first appearance.
//
// Boost's read_graphviz is not used: it cannot say on which line a file is wrong.

#include <ostream>
#include <string>
#include <string_view>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim {

// Parses DOT text; `source_name` (a file name) prefixes error messages.
[[nodiscard]] FriendGraph parse_dot(std::string_view text,
                                    std::string_view source_name = "<dot>");

// Writes `graph graph_name { ... }`: every server in index order, then every friendship in
// ascending order, one statement per line. Names that are plain identifiers are written
// bare, others quoted. Throws TopologyError for a name DOT cannot quote (one ending in a
// backslash).
void write_dot(std::ostream& out, const FriendGraph& graph,
               std::string_view graph_name = "herd");
[[nodiscard]] std::string to_dot(const FriendGraph& graph, std::string_view graph_name = "herd");

}  // namespace herd::sim
