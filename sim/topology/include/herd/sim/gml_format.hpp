#pragma once
// GML (Graph Modelling Language) for friend graphs, as written by networkx, igraph, Gephi
// and yEd:
//   graph [
//     directed 0
//     node [ id 0 label "Bailey" ]
//     node [ id 1 label "Bona" ]
//     edge [ source 0 target 1 ]
//   ]
// A node's server name is its label (a string, or an integer written as text), else its
// id. Other keys (Creator, graphics, weights, ...) are ignored. Lines starting with '#'
// are comments. Strings may use &quot; &amp; &lt; &gt; &apos; and &#N; / &#xN; entities.
//
// Refused with "source:line: what": syntax errors (unterminated string or list, a key
// without a value, stray ']'), no graph or two graphs, `directed 1`, a node without an
// integer id, duplicate ids or names, an edge whose source or target is missing or not a
// node id, self loops and duplicate friendships.
// Servers are numbered in the order their nodes appear.

#include <string_view>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim {

// Parses GML text; `source_name` (a file name) prefixes error messages.
[[nodiscard]] FriendGraph parse_gml(std::string_view text,
                                    std::string_view source_name = "<gml>");

}  // namespace herd::sim
