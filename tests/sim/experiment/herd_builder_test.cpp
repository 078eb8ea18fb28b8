#include "herd/sim/herd_builder.hpp"

#include <catch2/catch.hpp>

#include "herd/sim/random_graphs.hpp"

#include <algorithm>

using namespace herd::sim;

TEST_CASE("herd builder: a layout taken from a graph equals one copied from it") {
  RandomGraphOptions options;
  options.seed = 7;
  const FriendGraph graph = watts_strogatz_graph(500, 6, 0.3, options);
  const HerdLayout copied = layout_of(graph);
  FriendGraph moved_from = graph;
  const HerdLayout taken = layout_of(std::move(moved_from));
  CHECK(taken.names == copied.names);
  CHECK(taken.neighbours == copied.neighbours);
  REQUIRE(copied.size() == 500);
  CHECK(copied.edge_count() == graph.edge_count());
  for (std::uint32_t i = 0; i < copied.size(); ++i) {
    CHECK(std::is_sorted(copied.neighbours[i].begin(), copied.neighbours[i].end()));
  }
}
