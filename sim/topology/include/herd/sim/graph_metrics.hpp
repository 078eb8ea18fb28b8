#pragma once
// Graph measures a friend graph is judged by: how far a flood must travel (hop distances,
// eccentricity, diameter, radius), whether the herd is in one piece (components), and
// which single server or friendship failure would split it (articulation points,
// bridges). Results are deterministic: lists come sorted, components numbered in the order
// of their lowest server index.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim {

// The hop count hop_distances reports for a server that cannot be reached.
inline constexpr std::uint32_t kUnreachable = std::numeric_limits<std::uint32_t>::max();

// Hops from `source` to every server (kUnreachable where there is no path). One BFS,
// O(n + m). Throws TopologyError if source is out of range.
[[nodiscard]] std::vector<std::uint32_t> hop_distances(const FriendGraph& graph,
                                                       ServerIndex source);

// The most hops from `server` to any other server, or nothing if some server is
// unreachable from it. One BFS, O(n + m).
[[nodiscard]] std::optional<std::uint32_t> eccentricity(const FriendGraph& graph,
                                                        ServerIndex server);

// Connected components (via Boost.Graph), numbered in order of their lowest server.
struct Components {
  std::vector<std::uint32_t> component_of;  // per server
  std::vector<std::size_t> sizes;           // per component
  [[nodiscard]] std::size_t count() const { return sizes.size(); }
};
[[nodiscard]] Components connected_components(const FriendGraph& graph);

// True when every server can reach every other; the empty graph counts as connected.
// One BFS, O(n + m).
[[nodiscard]] bool is_connected(const FriendGraph& graph);

// Diameter (largest eccentricity) and radius (smallest) of a connected, non-empty graph.
struct DistanceExtremes {
  std::uint32_t diameter_hops = 0;
  std::uint32_t radius_hops = 0;
};

// Exact, by a BFS from every server: O(n * (n + m)) time, O(n) extra memory. That is
// about 2 * 10^8 steps for a 10,000-server graph with 20,000 friendships (a second or
// so); callers cap n (topology_stats does, at StatsOptions::exact_diameter_max_servers).
// Nothing when the graph is empty or disconnected (the diameter is then infinite).
[[nodiscard]] std::optional<DistanceExtremes> distance_extremes(const FriendGraph& graph);

// Servers whose failure disconnects their component, ascending (Boost.Graph
// articulation_points; iterative DFS, so deep graphs do not exhaust the stack).
[[nodiscard]] std::vector<ServerIndex> articulation_points(const FriendGraph& graph);

// Friendships whose failure disconnects their component, ascending: the biconnected
// components (Boost.Graph) that consist of a single friendship.
[[nodiscard]] std::vector<Friendship> bridges(const FriendGraph& graph);

// Degree distribution: min, max, mean and population standard deviation (all 0 for the
// empty graph).
struct DegreeSummary {
  std::size_t min = 0;
  std::size_t max = 0;
  double mean = 0.0;
  double stddev = 0.0;
};
[[nodiscard]] DegreeSummary degree_summary(const FriendGraph& graph);

}  // namespace herd::sim
