#pragma once
// Plain edge lists, the simplest way to write a friend graph by hand or from a script:
//   # backbone of the winter herd
//   Clark Jaquez
//   Clark Bona      # trailing comments are fine
//   Lonely          # a line with one name declares a server without friends
// Names are separated by blanks; '#' starts a comment. Servers are numbered in order of
// first appearance.
//
// Refused with "source:line: what": more than two names on a line, self loops, duplicate
// friendships (in either direction), names FriendGraph rejects.

#include <ostream>
#include <string_view>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim {

// Parses edge-list text; `source_name` (a file name) prefixes error messages.
[[nodiscard]] FriendGraph parse_edge_list(std::string_view text,
                                          std::string_view source_name = "<edge list>");

// Writes the friendships in ascending order, then each server without friends on a line
// of its own. Reading it back gives the same friendships; server numbering may differ.
// Throws TopologyError (writing nothing) if a name contains '#'.
void write_edge_list(std::ostream& out, const FriendGraph& graph);

}  // namespace herd::sim
