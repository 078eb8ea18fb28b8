#include "herd/gui/graph_layout.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/fruchterman_reingold.hpp>
#include <boost/graph/random_layout.hpp>
#include <boost/graph/topology.hpp>
#include <boost/random/linear_congruential.hpp>
#include <stdexcept>
#include <string>

namespace herd::gui {

std::vector<Point> force_layout(std::size_t servers, const std::vector<sim::StoredEdge>& edges,
                                const LayoutOptions& options) {
  if (servers > options.max_servers) {
    throw std::length_error("cannot lay out " + std::to_string(servers) + " servers (at most " +
                            std::to_string(options.max_servers) + ")");
  }
  std::vector<Point> out(servers);
  if (servers == 0) return out;
  if (servers == 1) {
    out[0] = {options.side / 2, options.side / 2};
    return out;
  }
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  using Topology = boost::square_topology<boost::minstd_rand>;
  Graph g(servers);
  for (const auto& e : edges) {
    if (e.a < servers && e.b < servers && e.a != e.b) boost::add_edge(e.a, e.b, g);
  }
  boost::minstd_rand random(options.seed == 0 ? 1 : options.seed);
  // square_topology spans [-scaling, scaling] on both axes.
  Topology space(random, options.side / 2);
  std::vector<Topology::point_type> at(servers);
  auto position = boost::make_iterator_property_map(at.begin(), boost::get(boost::vertex_index, g));
  boost::random_graph_layout(g, position, space);
  // Fewer rounds for big herds: each costs about linear time in servers + edges.
  const int rounds = servers <= 500 ? 200 : servers <= 3000 ? 100 : 50;
  boost::fruchterman_reingold_force_directed_layout(
      g, position, space, boost::cooling(boost::linear_cooling<double>(rounds)));
  for (std::size_t i = 0; i < servers; ++i) {
    out[i] = {at[i][0] + options.side / 2, at[i][1] + options.side / 2};
  }
  return out;
}

}  // namespace herd::gui
