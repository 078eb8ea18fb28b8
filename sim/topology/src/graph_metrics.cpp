#include "herd/sim/graph_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <string>

#include <boost/graph/biconnected_components.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/property_map/property_map.hpp>

namespace herd::sim {

namespace {

// The adjacency flattened into two arrays (compressed sparse rows): the all-sources BFS
// behind the diameter touches every list n times, so it should not chase n vectors.
struct CompactAdjacency {
  std::vector<std::uint32_t> offsets;  // n + 1 entries
  std::vector<ServerIndex> targets;    // 2m entries

  explicit CompactAdjacency(const FriendGraph& graph) {
    offsets.reserve(graph.size() + 1);
    targets.reserve(2 * graph.edge_count());
    offsets.push_back(0);
    for (ServerIndex i = 0; i < graph.size(); ++i) {
      const auto friends = graph.neighbours(i);
      targets.insert(targets.end(), friends.begin(), friends.end());
      offsets.push_back(static_cast<std::uint32_t>(targets.size()));
    }
  }
};

// BFS from source into `distance` (resized, kUnreachable where unreached), using `queue`
// as scratch. Returns the number of servers reached and the largest distance seen.
struct BfsResult {
  std::size_t reached = 0;
  std::uint32_t farthest_hops = 0;
};

BfsResult bfs(const CompactAdjacency& adjacency, ServerIndex source,
              std::vector<std::uint32_t>& distance, std::vector<ServerIndex>& queue) {
  const std::size_t n = adjacency.offsets.size() - 1;
  distance.assign(n, kUnreachable);
  queue.clear();
  queue.reserve(n);
  distance[source] = 0;
  queue.push_back(source);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const ServerIndex u = queue[head];
    const std::uint32_t next_hops = distance[u] + 1;
    for (std::uint32_t e = adjacency.offsets[u]; e < adjacency.offsets[u + 1]; ++e) {
      const ServerIndex v = adjacency.targets[e];
      if (distance[v] != kUnreachable) continue;
      distance[v] = next_hops;
      queue.push_back(v);
    }
  }
  return {queue.size(), distance[queue.back()]};
}

void require_server(const FriendGraph& graph, ServerIndex server, const char* what) {
  if (server >= graph.size()) {
    throw TopologyError(std::string(what) + ": server index " + std::to_string(server) +
                        " is out of range (graph has " + std::to_string(graph.size()) +
                        " servers)");
  }
}

}  // namespace

std::vector<std::uint32_t> hop_distances(const FriendGraph& graph, ServerIndex source) {
  require_server(graph, source, "hop_distances");
  std::vector<std::uint32_t> distance;
  std::vector<ServerIndex> queue;
  bfs(CompactAdjacency(graph), source, distance, queue);
  return distance;
}

std::optional<std::uint32_t> eccentricity(const FriendGraph& graph, ServerIndex server) {
  require_server(graph, server, "eccentricity");
  std::vector<std::uint32_t> distance;
  std::vector<ServerIndex> queue;
  const BfsResult result = bfs(CompactAdjacency(graph), server, distance, queue);
  if (result.reached != graph.size()) return std::nullopt;
  return result.farthest_hops;
}

Components connected_components(const FriendGraph& graph) {
  Components components;
  components.component_of.assign(graph.size(), 0);
  if (graph.empty()) return components;
  const BoostGraph boost_graph = graph.to_boost();
  // Boost numbers components in the order its DFS first meets them, which for vecS
  // vertex storage is ascending vertex index: the lowest server numbers the component.
  const auto count =
      boost::connected_components(boost_graph, components.component_of.data());
  components.sizes.assign(static_cast<std::size_t>(count), 0);
  for (const auto id : components.component_of) ++components.sizes[id];
  return components;
}

bool is_connected(const FriendGraph& graph) {
  if (graph.empty()) return true;
  std::vector<std::uint32_t> distance;
  std::vector<ServerIndex> queue;
  return bfs(CompactAdjacency(graph), 0, distance, queue).reached == graph.size();
}

std::optional<DistanceExtremes> distance_extremes(const FriendGraph& graph) {
  if (graph.empty()) return std::nullopt;
  const CompactAdjacency adjacency(graph);
  std::vector<std::uint32_t> distance;
  std::vector<ServerIndex> queue;
  DistanceExtremes extremes{0, kUnreachable};
  for (ServerIndex source = 0; source < graph.size(); ++source) {
    const BfsResult result = bfs(adjacency, source, distance, queue);
    if (result.reached != graph.size()) return std::nullopt;
    extremes.diameter_hops = std::max(extremes.diameter_hops, result.farthest_hops);
    extremes.radius_hops = std::min(extremes.radius_hops, result.farthest_hops);
  }
  return extremes;
}

std::vector<ServerIndex> articulation_points(const FriendGraph& graph) {
  std::vector<ServerIndex> points;
  if (graph.empty()) return points;
  const BoostGraph boost_graph = graph.to_boost();
  std::vector<BoostGraph::vertex_descriptor> found;
  boost::articulation_points(boost_graph, std::back_inserter(found));
  points.reserve(found.size());
  for (const auto v : found) points.push_back(static_cast<ServerIndex>(v));
  std::sort(points.begin(), points.end());
  return points;
}

std::vector<Friendship> bridges(const FriendGraph& graph) {
  std::vector<Friendship> result;
  if (graph.edge_count() == 0) return result;
  const BoostGraph boost_graph = graph.to_boost();
  // BoostGraph has no edge_index property, so the component of each edge lives in a map
  // keyed by edge descriptor (ordered by the address of the edge's shared property, which
  // is the same for both directions of an undirected edge).
  using Edge = BoostGraph::edge_descriptor;
  std::map<Edge, std::size_t> component_storage;
  boost::associative_property_map<std::map<Edge, std::size_t>> component(component_storage);
  const std::size_t count = boost::biconnected_components(boost_graph, component);
  std::vector<std::size_t> edges_in(count, 0);
  for (const auto& [edge, id] : component_storage) ++edges_in[id];
  for (const auto& [edge, id] : component_storage) {
    if (edges_in[id] != 1) continue;
    auto a = static_cast<ServerIndex>(boost::source(edge, boost_graph));
    auto b = static_cast<ServerIndex>(boost::target(edge, boost_graph));
    if (a > b) std::swap(a, b);
    result.push_back({a, b});
  }
  std::sort(result.begin(), result.end());
  return result;
}

DegreeSummary degree_summary(const FriendGraph& graph) {
  DegreeSummary summary;
  if (graph.empty()) return summary;
  const auto n = static_cast<double>(graph.size());
  summary.min = graph.degree(0);
  for (ServerIndex i = 0; i < graph.size(); ++i) {
    summary.min = std::min(summary.min, graph.degree(i));
    summary.max = std::max(summary.max, graph.degree(i));
  }
  summary.mean = 2.0 * static_cast<double>(graph.edge_count()) / n;
  double squares = 0.0;
  for (ServerIndex i = 0; i < graph.size(); ++i) {
    const double deviation = static_cast<double>(graph.degree(i)) - summary.mean;
    squares += deviation * deviation;
  }
  summary.stddev = std::sqrt(squares / n);
  return summary;
}

}  // namespace herd::sim
