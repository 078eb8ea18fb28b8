#pragma once
// topology_stats: the one-shot summary of a friend graph that `herd-sim topo` prints and
// that runs record beside their results, plus its stable text form (same graph, same
// text, byte for byte, so reports can be diffed and checked in).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "herd/sim/friend_graph.hpp"
#include "herd/sim/graph_metrics.hpp"

namespace herd::sim {

struct StatsOptions {
  // The exact diameter costs a BFS from every server, O(n * (n + m)); above this many
  // servers it is skipped and reported as not computed.
  std::size_t exact_diameter_max_servers = 20'000;
  // The report lists at most this many articulation points and bridges by name.
  std::size_t report_list_limit = 20;
};

struct TopologyStats {
  std::size_t servers = 0;
  std::size_t friendships = 0;
  std::size_t components = 0;
  std::size_t largest_component_servers = 0;
  // Both empty when the graph is empty or disconnected (infinite diameter) or when the
  // diameter was not computed; diameter_computed tells the last case apart.
  bool diameter_computed = false;
  std::optional<std::uint32_t> diameter_hops;
  std::optional<std::uint32_t> radius_hops;
  DegreeSummary degree;
  std::vector<ServerIndex> articulation_points;  // ascending
  std::vector<Friendship> bridges;               // ascending
};

[[nodiscard]] TopologyStats topology_stats(const FriendGraph& graph,
                                           const StatsOptions& options = {});

// A readable, line-per-measure report, for example:
//   servers: 5
//   friendships: 4
//   components: 1 (largest 5 servers)
//   diameter: 4 hops
//   radius: 2 hops
//   degree: min 1, mean 1.600, max 2, stddev 0.490
//   articulation points: 3: s1 s2 s3
//   bridges: 4: s0--s1 s1--s2 s2--s3 s3--s4
[[nodiscard]] std::string format_topology_report(const FriendGraph& graph,
                                                 const TopologyStats& stats,
                                                 const StatsOptions& options = {});

}  // namespace herd::sim
