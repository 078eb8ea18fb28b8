#include "herd/sim/dot_format.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "dot_lexer.hpp"

namespace herd::sim {

namespace {

bool plain_identifier(std::string_view name) {
  if (name.empty()) return false;
  const auto start = static_cast<unsigned char>(name.front());
  if (std::isalpha(start) == 0 && name.front() != '_') return false;
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
      })) {
    return false;
  }
  // A server called "node" must be quoted or it would read back as a keyword.
  detail::DotLexeme as_token{detail::DotToken::id, std::string(name), false, 1};
  return !detail::is_any_keyword(as_token);
}

// The name as a DOT ID that reads back to exactly `name`.
std::string dot_id(std::string_view name) {
  if (plain_identifier(name)) return std::string(name);
  if (!name.empty() && name.back() == '\\') {
    // GraphViz reads \" as a quote, so a closing quote after a backslash cannot be written.
    throw TopologyError("server name '" + std::string(name) +
                        "' ends in a backslash, which DOT cannot quote");
  }
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

void write_dot(std::ostream& out, const FriendGraph& graph, std::string_view graph_name) {
  // Build the text first so a name that cannot be written leaves `out` untouched.
  std::ostringstream text;
  text << "graph " << dot_id(graph_name) << " {\n";
  for (ServerIndex i = 0; i < graph.size(); ++i) text << "  " << dot_id(graph.name(i)) << ";\n";
  for (const auto& edge : graph.edges()) {
    text << "  " << dot_id(graph.name(edge.a)) << " -- " << dot_id(graph.name(edge.b)) << ";\n";
  }
  text << "}\n";
  out << text.str();
}

std::string to_dot(const FriendGraph& graph, std::string_view graph_name) {
  std::ostringstream out;
  write_dot(out, graph, graph_name);
  return out.str();
}

}  // namespace herd::sim
