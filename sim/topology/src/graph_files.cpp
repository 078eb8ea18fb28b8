#include "herd/sim/graph_files.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "herd/sim/dot_format.hpp"
#include "herd/sim/edge_list_format.hpp"
#include "herd/sim/gml_format.hpp"

namespace herd::sim {

namespace {

std::string read_text_file(const std::filesystem::path& path) {
  const std::string shown = path.string();
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    throw TopologyError(shown + ": cannot read graph file: no such file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw TopologyError(shown + ": cannot read graph file: not a regular file");
  }
  const auto size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxGraphFileBytes) {
    throw TopologyError(shown + ": graph file of " + std::to_string(size) +
                        " bytes is larger than the limit of " +
                        std::to_string(kMaxGraphFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TopologyError(shown + ": cannot open graph file");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw TopologyError(shown + ": error while reading graph file");
  return std::move(contents).str();
}

}  // namespace

std::optional<GraphFileFormat> graph_format_for(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".dot" || extension == ".gv") return GraphFileFormat::dot;
  if (extension == ".gml") return GraphFileFormat::gml;
  if (extension == ".txt" || extension == ".edges" || extension == ".edgelist" ||
      extension == ".el") {
    return GraphFileFormat::edge_list;
  }
  return std::nullopt;
}

std::string_view graph_format_name(GraphFileFormat format) {
  switch (format) {
    case GraphFileFormat::dot: return "dot";
    case GraphFileFormat::gml: return "gml";
    case GraphFileFormat::edge_list: return "edge list";
  }
  return "?";
}

FriendGraph load_graph_file(const std::filesystem::path& path) {
  const auto format = graph_format_for(path);
  if (!format) {
    throw TopologyError(path.string() + ": unknown graph file extension '" +
                        path.extension().string() +
                        "' (expected .dot, .gv, .gml, .txt, .edges, .edgelist or .el)");
  }
  return load_graph_file(path, *format);
}

FriendGraph load_graph_file(const std::filesystem::path& path, GraphFileFormat format) {
  const std::string text = read_text_file(path);
  const std::string source = path.string();
  switch (format) {
    case GraphFileFormat::dot: return parse_dot(text, source);
    case GraphFileFormat::gml: return parse_gml(text, source);
    case GraphFileFormat::edge_list: return parse_edge_list(text, source);
  }
  throw TopologyError(source + ": unknown graph file format");
}

void save_dot_file(const std::filesystem::path& path, const FriendGraph& graph) {
  const std::string text = to_dot(graph);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw TopologyError(path.string() + ": cannot open for writing");
  out << text;
  out.flush();
  if (!out) throw TopologyError(path.string() + ": error while writing");
}

}  // namespace herd::sim
