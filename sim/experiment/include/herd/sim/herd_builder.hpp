#pragma once
// From a scenario's [herd] section to the friend graph a simulation runs: explicit servers
// and friendships, a seeded generator, or a graph file.

#include <memory>

#include "herd/places/offline_gazetteer.hpp"
#include "herd/sim/friend_graph.hpp"
#include "herd/sim/herd_layout.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

// Throws TopologyError (generator parameters, graph files) or std::invalid_argument
// (unknown names), each saying what is wrong.
[[nodiscard]] FriendGraph build_friend_graph(const Scenario& scenario);
[[nodiscard]] HerdLayout layout_of(const FriendGraph& graph);
// The same, taking the graph's names and friend lists instead of copying them.
[[nodiscard]] HerdLayout layout_of(FriendGraph&& graph);
// The scenario's herd as one shared layout; the friend graph it is made from is freed
// before this returns, so a big herd's structure is held once, not three times (graph,
// layout, and each simulation's copy). Throws as build_friend_graph does.
[[nodiscard]] std::shared_ptr<const HerdLayout> build_herd_layout(const Scenario& scenario);

// The gazetteer the scenario's WHATSATs need (its places_db, else the built-in one), or
// null when nothing in the workload asks for places.
[[nodiscard]] std::unique_ptr<places::OfflineGazetteer> open_scenario_places(
    const Scenario& scenario);

}  // namespace herd::sim
