#include "herd/sim/generators.hpp"

#include <string>

namespace herd::sim {

namespace {

ServerIndex at(std::size_t i) { return static_cast<ServerIndex>(i); }

void require_servers(std::string_view generator, std::size_t n) {
  if (n > kMaxServers) {
    throw TopologyError(std::string(generator) + ": n = " + std::to_string(n) +
                        " exceeds the limit of " + std::to_string(kMaxServers) + " servers");
  }
}

}  // namespace

FriendGraph line_graph(std::size_t n, std::string_view prefix) {
  require_servers("line", n);
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  for (std::size_t i = 1; i < n; ++i) graph.add_edge(at(i - 1), at(i));
  return graph;
}

FriendGraph ring_graph(std::size_t n, std::string_view prefix) {
  if (n < 3) {
    throw TopologyError("ring: n = " + std::to_string(n) +
                        " is too small; a ring needs at least 3 servers");
  }
  FriendGraph graph = line_graph(n, prefix);
  graph.add_edge(at(0), at(n - 1));
  return graph;
}

FriendGraph star_graph(std::size_t n, std::string_view prefix) {
  require_servers("star", n);
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  for (std::size_t i = 1; i < n; ++i) graph.add_edge(at(0), at(i));
  return graph;
}

FriendGraph grid_graph(std::size_t rows, std::size_t cols, bool torus,
                       std::string_view prefix) {
  if (cols != 0 && rows > kMaxServers / cols) {
    throw TopologyError("grid: " + std::to_string(rows) + " x " + std::to_string(cols) +
                        " exceeds the limit of " + std::to_string(kMaxServers) + " servers");
  }
  if (torus && (rows < 3 || cols < 3)) {
    throw TopologyError("grid: a torus needs at least 3 rows and 3 columns (got " +
                        std::to_string(rows) + " x " + std::to_string(cols) +
                        "); wrapping a shorter side would repeat a friendship");
  }
  FriendGraph graph = FriendGraph::numbered(rows * cols, prefix);
  const auto cell = [cols](std::size_t r, std::size_t c) { return at(r * cols + c); };
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      if (c + 1 < cols) graph.add_edge(cell(r, c), cell(r, c + 1));
      if (r + 1 < rows) graph.add_edge(cell(r, c), cell(r + 1, c));
    }
  }
  if (torus) {
    for (std::size_t r = 0; r < rows; ++r) graph.add_edge(cell(r, 0), cell(r, cols - 1));
    for (std::size_t c = 0; c < cols; ++c) graph.add_edge(cell(0, c), cell(rows - 1, c));
  }
  return graph;
}

FriendGraph kary_tree_graph(std::size_t n, std::size_t k, std::string_view prefix) {
  if (k == 0) throw TopologyError("kary_tree: k must be at least 1");
  require_servers("kary_tree", n);
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  for (std::size_t i = 1; i < n; ++i) graph.add_edge(at((i - 1) / k), at(i));
  return graph;
}

FriendGraph complete_graph(std::size_t n, std::string_view prefix) {
  require_servers("complete", n);
  if (n >= 2 && (n - 1) > 2 * kMaxFriendships / n) {
    throw TopologyError("complete: n = " + std::to_string(n) +
                        " would need more than the limit of " +
                        std::to_string(kMaxFriendships) + " friendships");
  }
  FriendGraph graph = FriendGraph::numbered(n, prefix);
  // Rows in ascending order so every insertion appends to both sorted adjacency lists.
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) graph.add_edge(at(i), at(j));
  }
  return graph;
}

}  // namespace herd::sim
