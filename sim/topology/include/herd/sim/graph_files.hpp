#pragma once
// Loading a friend graph from a file named in a scenario (`file = "graphs/backbone.dot"`):
// picks the format from the extension and reports errors as "file:line: what".

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim {

enum class GraphFileFormat { dot, gml, edge_list };

// Graph files larger than this are refused before they are read.
inline constexpr std::uintmax_t kMaxGraphFileBytes = 256ULL * 1024 * 1024;

// .dot/.gv -> dot, .gml -> gml, .txt/.edges/.edgelist/.el -> edge list (case-insensitive);
// nothing for any other extension.
[[nodiscard]] std::optional<GraphFileFormat> graph_format_for(const std::filesystem::path& path);

// "dot", "gml", "edge list".
[[nodiscard]] std::string_view graph_format_name(GraphFileFormat format);

// Reads and parses the file. Throws TopologyError for an unknown extension, a file that
// cannot be read or is too large, and every parse error of the format.
[[nodiscard]] FriendGraph load_graph_file(const std::filesystem::path& path);
[[nodiscard]] FriendGraph load_graph_file(const std::filesystem::path& path,
                                          GraphFileFormat format);

// Writes the graph as DOT (see write_dot). Throws TopologyError if the file cannot be
// written.
void save_dot_file(const std::filesystem::path& path, const FriendGraph& graph);

}  // namespace herd::sim
