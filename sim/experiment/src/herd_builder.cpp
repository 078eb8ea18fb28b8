#include "herd/sim/herd_builder.hpp"

#include "herd/sim/generators.hpp"
#include "herd/sim/graph_files.hpp"
#include "herd/sim/prng.hpp"
#include "herd/sim/random_graphs.hpp"

namespace herd::sim {
namespace {

constexpr std::uint64_t kTopologyStream = 4;

std::size_t count(std::int64_t value, const char* what) {
  if (value < 0) throw TopologyError(std::string("herd.generate: ") + what + " must not be negative");
  return static_cast<std::size_t>(value);
}

FriendGraph generate(const TopologySpec& t, std::uint64_t seed) {
  const std::string& kind = t.generator;
  std::size_t n = count(t.n, "n");
  if (kind == "line") return line_graph(n);
  if (kind == "ring") return ring_graph(n);
  if (kind == "star") return star_graph(n);
  if (kind == "grid") return grid_graph(count(t.rows, "rows"), count(t.cols, "cols"), t.torus);
  if (kind == "tree") return kary_tree_graph(n, count(t.k, "k"));
  if (kind == "complete") return complete_graph(n);
  RandomGraphOptions options;
  options.seed = derive_seed(seed, kTopologyStream);
  options.ensure_connected = t.ensure_connected;
  if (kind == "erdos_renyi") return erdos_renyi_graph(n, t.p, options);
  if (kind == "watts_strogatz") return watts_strogatz_graph(n, count(t.k, "k"), t.p, options);
  if (kind == "barabasi_albert") return barabasi_albert_graph(n, count(t.m, "m"), options);
  if (kind == "random_regular") return random_regular_graph(n, count(t.degree, "degree"), options);
  throw TopologyError("herd.generate: unknown kind '" + kind + "'");
}

}  // namespace

FriendGraph build_friend_graph(const Scenario& scenario) {
  const TopologySpec& t = scenario.topology;
  try {
    switch (t.kind) {
      case TopologySpec::Kind::generated:
        return generate(t, scenario.seed);
      case TopologySpec::Kind::file:
        // DOT and GML by extension; anything else is read as an edge list.
        return load_graph_file(t.path,
                               graph_format_for(t.path).value_or(GraphFileFormat::edge_list));
      case TopologySpec::Kind::explicit_edges:
        break;
    }
  } catch (const TopologyError& error) {
    // Point at the scenario key that asked for this graph (a generator's limits and a failed
    // connected draw are only found here).
    if (t.where.empty()) throw;
    throw TopologyError(t.where + ": " + error.what());
  } catch (const std::bad_alloc&) {
    if (t.where.empty()) throw;
    throw TopologyError(t.where + ": out of memory while building the friend graph");
  }
  FriendGraph graph(t.servers);
  for (const auto& [a, b] : t.friends) graph.add_edge(a, b);
  return graph;
}

HerdLayout layout_of(const FriendGraph& graph) { return layout_of(FriendGraph(graph)); }

HerdLayout layout_of(FriendGraph&& graph) {
  FriendGraph::Parts parts = std::move(graph).release();
  HerdLayout layout;
  layout.names = std::move(parts.names);
  layout.neighbours = std::move(parts.adjacency);
  // A list grown edge by edge may hold room for more; the few that do are copied to size.
  for (auto& friends : layout.neighbours) {
    if (friends.capacity() != friends.size()) friends.shrink_to_fit();
  }
  return layout;
}

std::shared_ptr<const HerdLayout> build_herd_layout(const Scenario& scenario) {
  return std::make_shared<const HerdLayout>(layout_of(build_friend_graph(scenario)));
}

std::unique_ptr<places::OfflineGazetteer> open_scenario_places(const Scenario& scenario) {
  // Conservative: a scripted line merely mentioning WHATSAT opens the database too, which
  // costs a fraction of a millisecond; missing one would answer every WHATSAT with nothing.
  bool needs = scenario.workload.whatsat_per_s > 0;
  for (const auto& line : scenario.workload.script) {
    needs = needs || line.line.find("WHATSAT") != std::string::npos;
  }
  if (!needs) return nullptr;
  return std::make_unique<places::OfflineGazetteer>(
      scenario.places_db.empty() ? std::filesystem::path(HERD_DEFAULT_PLACES_DB)
                                 : std::filesystem::path(scenario.places_db));
}

}  // namespace herd::sim
