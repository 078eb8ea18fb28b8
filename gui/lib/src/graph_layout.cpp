#include "herd/gui/graph_layout.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/circle_layout.hpp>
#include <boost/graph/fruchterman_reingold.hpp>
#include <boost/graph/random_layout.hpp>
#include <boost/graph/topology.hpp>
#include <boost/random/linear_congruential.hpp>
#include <algorithm>
#include <cmath>
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
  std::vector<Topology::point_type> at(servers);
  auto position = boost::make_iterator_property_map(at.begin(), boost::get(boost::vertex_index, g));
  if (servers > kForceLayoutMax) {
    // Force layouts contract a big herd into a few grid cells, where repulsion is quadratic
    // again (minutes at 10,000 servers): place servers on a circle in id order instead.
    // Generators number ring and lattice neighbours consecutively, so the picture still
    // shows the ring and its shortcuts.
    boost::circle_graph_layout(g, position, 1.0);
  } else {
    boost::minstd_rand random(options.seed == 0 ? 1 : options.seed);
    // square_topology spans [-scaling, scaling] on both axes; room enough that few servers
    // are pushed against its walls (the result is rescaled below anyway).
    Topology space(random, std::max(50.0, std::sqrt(static_cast<double>(servers)) * 25));
    boost::random_graph_layout(g, position, space);
    if (servers <= 500) {
      // Every pair repels: even spacing, O(servers^2) per round, cheap at this size.
      boost::fruchterman_reingold_force_directed_layout(
          g, position, space,
          boost::cooling(boost::linear_cooling<double>(300)).force_pairs(boost::all_force_pairs()));
    } else {
      // Repulsion only between neighbouring grid cells.
      boost::fruchterman_reingold_force_directed_layout(
          g, position, space, boost::cooling(boost::linear_cooling<double>(60)));
    }
  }
  // Stretch the result over the square: force layouts leave uneven margins.
  double x0 = at[0][0], x1 = x0, y0 = at[0][1], y1 = y0;
  for (const auto& p : at) {
    x0 = std::min(x0, p[0]), x1 = std::max(x1, p[0]);
    y0 = std::min(y0, p[1]), y1 = std::max(y1, p[1]);
  }
  const double margin = options.side * 0.02, inner = options.side - 2 * margin;
  for (std::size_t i = 0; i < servers; ++i) {
    out[i] = {margin + (x1 > x0 ? (at[i][0] - x0) / (x1 - x0) : 0.5) * inner * options.aspect,
              margin + (y1 > y0 ? (at[i][1] - y0) / (y1 - y0) : 0.5) * inner};
  }
  return out;
}

}  // namespace herd::gui
