#include "herd/sim/edge_list_format.hpp"

#include <string>
#include <vector>

#include "located_error.hpp"

namespace herd::sim {

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Blank-separated fields of one line, comment removed.
std::vector<std::string_view> fields_of(std::string_view line) {
  if (const auto hash = line.find('#'); hash != std::string_view::npos) {
    line = line.substr(0, hash);
  }
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

FriendGraph parse_edge_list(std::string_view text, std::string_view source_name) {
  FriendGraph graph;
  const auto server = [&](std::string_view name) {
    if (auto existing = graph.find(name)) return *existing;
    return graph.add_server(std::string(name));
  };
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    const auto fields = fields_of(line);
    if (fields.size() > 2) {
      throw detail::located_error(
          source_name, line_number,
          "expected two server names, found " + std::to_string(fields.size()) +
              " fields (an edge list has one friendship per line; weights are not supported)");
    }
    detail::at_location(source_name, line_number, [&] {
      if (fields.size() == 1) (void)server(fields[0]);
      if (fields.size() == 2) {
        const ServerIndex a = server(fields[0]);
        const ServerIndex b = server(fields[1]);
        graph.add_edge(a, b);
      }
    });
  }
  return graph;
}

void write_edge_list(std::ostream& out, const FriendGraph& graph) {
  for (const auto& name : graph.names()) {
    if (name.find('#') != std::string::npos) {
      throw TopologyError("server name '" + name +
                          "' contains '#', which an edge list reads as a comment");
    }
  }
  for (const auto& edge : graph.edges()) {
    out << graph.name(edge.a) << ' ' << graph.name(edge.b) << '\n';
  }
  for (ServerIndex i = 0; i < graph.size(); ++i) {
    if (graph.degree(i) == 0) out << graph.name(i) << '\n';
  }
}

}  // namespace herd::sim
