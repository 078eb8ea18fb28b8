#include "herd/sim/topology_stats.hpp"

#include <algorithm>
#include <iomanip>
#include <locale>
#include <sstream>

namespace herd::sim {

TopologyStats topology_stats(const FriendGraph& graph, const StatsOptions& options) {
  TopologyStats stats;
  stats.servers = graph.size();
  stats.friendships = graph.edge_count();
  const Components components = connected_components(graph);
  stats.components = components.count();
  if (!components.sizes.empty()) {
    stats.largest_component_servers =
        *std::max_element(components.sizes.begin(), components.sizes.end());
  }
  if (graph.size() <= options.exact_diameter_max_servers) {
    stats.diameter_computed = true;
    if (const auto extremes = distance_extremes(graph)) {
      stats.diameter_hops = extremes->diameter_hops;
      stats.radius_hops = extremes->radius_hops;
    }
  }
  stats.degree = degree_summary(graph);
  stats.articulation_points = articulation_points(graph);
  stats.bridges = bridges(graph);
  return stats;
}

namespace {

std::string hops(std::uint32_t count) {
  return std::to_string(count) + (count == 1 ? " hop" : " hops");
}

// The value of the diameter or radius line.
std::string distance_text(const TopologyStats& stats, const std::optional<std::uint32_t>& value,
                          const StatsOptions& options) {
  if (value) return hops(*value);
  if (stats.servers == 0) return "undefined (no servers)";
  if (!stats.diameter_computed) {
    return "not computed (" + std::to_string(stats.servers) + " servers > " +
           std::to_string(options.exact_diameter_max_servers) +
           "; the exact value needs a BFS from every server)";
  }
  return "infinite (" + std::to_string(stats.components) + " components)";
}

template <class Item, class Describe>
void write_list(std::ostream& out, const char* label, const std::vector<Item>& items,
                std::size_t limit, Describe describe) {
  out << label << ": " << items.size();
  if (!items.empty()) out << ':';
  const std::size_t shown = std::min(items.size(), limit);
  for (std::size_t i = 0; i < shown; ++i) out << ' ' << describe(items[i]);
  if (shown < items.size()) out << " ... (+" << items.size() - shown << " more)";
  out << '\n';
}

}  // namespace

std::string format_topology_report(const FriendGraph& graph, const TopologyStats& stats,
                                   const StatsOptions& options) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(3);
  out << "servers: " << stats.servers << '\n';
  out << "friendships: " << stats.friendships << '\n';
  out << "components: " << stats.components;
  if (stats.components > 0) out << " (largest " << stats.largest_component_servers
                                << (stats.largest_component_servers == 1 ? " server)"
                                                                         : " servers)");
  out << '\n';
  out << "diameter: " << distance_text(stats, stats.diameter_hops, options) << '\n';
  out << "radius: " << distance_text(stats, stats.radius_hops, options) << '\n';
  out << "degree: min " << stats.degree.min << ", mean " << stats.degree.mean << ", max "
      << stats.degree.max << ", stddev " << stats.degree.stddev << '\n';
  write_list(out, "articulation points", stats.articulation_points,
             options.report_list_limit,
             [&](ServerIndex server) { return graph.name(server); });
  write_list(out, "bridges", stats.bridges, options.report_list_limit,
             [&](const Friendship& edge) {
               return graph.name(edge.a) + "--" + graph.name(edge.b);
             });
  return out.str();
}

}  // namespace herd::sim
