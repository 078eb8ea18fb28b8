// The three graph formats (DOT, GML, edge list): the first byte picks one, the rest is the
// file. Any text is a graph or a TopologyError; nothing else escapes.

#include <exception>
#include <string>

#include "fuzz_common.hpp"
#include "herd/sim/dot_format.hpp"
#include "herd/sim/edge_list_format.hpp"
#include "herd/sim/friend_graph.hpp"
#include "herd/sim/gml_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = herd::fuzz::as_text(data, size);
  if (text.empty()) return 0;
  const auto pick = static_cast<unsigned char>(text[0]) % 3;
  text.remove_prefix(1);
  try {
    herd::sim::FriendGraph graph = pick == 0   ? herd::sim::parse_dot(text, "fuzz.dot")
                                   : pick == 1 ? herd::sim::parse_gml(text, "fuzz.gml")
                                               : herd::sim::parse_edge_list(text, "fuzz.edges");
    for (herd::sim::ServerIndex i = 0; i < graph.size(); ++i) {
      for (auto j : graph.neighbours(i)) {
        if (j >= graph.size() || j == i) herd::fuzz::fail("graph_formats", "a bad edge");
      }
    }
  } catch (const herd::sim::TopologyError& error) {
    if (std::string_view(error.what()).empty()) herd::fuzz::fail("graph_formats", "empty error");
  } catch (const std::exception& error) {
    herd::fuzz::fail("graph_formats", error.what());
  }
  return 0;
}
