#pragma once
// From a scenario's [herd] section to the friend graph a simulation runs: explicit servers
// and friendships, a seeded generator, or a graph file.

#include "herd/sim/friend_graph.hpp"
#include "herd/sim/herd_layout.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

// Throws TopologyError (generator parameters, graph files) or std::invalid_argument
// (unknown names), each saying what is wrong.
[[nodiscard]] FriendGraph build_friend_graph(const Scenario& scenario);
[[nodiscard]] HerdLayout layout_of(const FriendGraph& graph);

}  // namespace herd::sim
