#pragma once
// Regular friend-graph shapes: the fixed topologies experiments compare random models
// against. Servers are named prefix + zero-padded index (see FriendGraph::numbered);
// invalid parameters throw TopologyError saying which parameter and why.

#include <cstddef>
#include <string_view>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim {

// s0 -- s1 -- ... -- s(n-1). Diameter n-1.
[[nodiscard]] FriendGraph line_graph(std::size_t n,
                                     std::string_view prefix = kDefaultServerPrefix);

// A line closed into a cycle; needs n >= 3 (smaller rings would repeat a friendship).
// Diameter floor(n/2).
[[nodiscard]] FriendGraph ring_graph(std::size_t n,
                                     std::string_view prefix = kDefaultServerPrefix);

// Server 0 is the hub, friend of all n-1 others. Diameter 2 for n >= 3.
[[nodiscard]] FriendGraph star_graph(std::size_t n,
                                     std::string_view prefix = kDefaultServerPrefix);

// rows x cols lattice; server r*cols + c sits at row r, column c. A torus also joins the
// first and last row and column, which needs rows >= 3 and cols >= 3. Diameter
// rows + cols - 2 (plain) or floor(rows/2) + floor(cols/2) (torus).
[[nodiscard]] FriendGraph grid_graph(std::size_t rows, std::size_t cols, bool torus = false,
                                     std::string_view prefix = kDefaultServerPrefix);

// n servers in breadth-first order in a complete k-ary tree: the parent of server i > 0 is
// (i-1)/k. k = 1 is a line. A full tree of height h (n = 1 + k + ... + k^h, k >= 2) has
// diameter 2h.
[[nodiscard]] FriendGraph kary_tree_graph(std::size_t n, std::size_t k,
                                          std::string_view prefix = kDefaultServerPrefix);

// Everyone is everyone's friend: n(n-1)/2 friendships. Diameter 1 for n >= 2.
[[nodiscard]] FriendGraph complete_graph(std::size_t n,
                                         std::string_view prefix = kDefaultServerPrefix);

}  // namespace herd::sim
