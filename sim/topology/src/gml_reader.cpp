// parse_gml: gives the generic GML tree (gml_tree.hpp) its graph meaning.

#include "herd/sim/gml_format.hpp"

#include <map>
#include <optional>
#include <string>

#include "gml_tree.hpp"
#include "located_error.hpp"

namespace herd::sim {

namespace {

using detail::GmlEntry;
using detail::GmlValue;

class GmlGraphReader {
 public:
  explicit GmlGraphReader(std::string_view source) : source_(source) {}

  FriendGraph read(const std::vector<GmlEntry>& top) {
    const GmlEntry* graph_entry = nullptr;
    for (const auto& entry : top) {
      if (entry.key != "graph") continue;
      if (graph_entry != nullptr) {
        fail(entry.line, "a second graph (the first starts on line " +
                             std::to_string(graph_entry->line) + "); one graph per file");
      }
      graph_entry = &entry;
    }
    if (graph_entry == nullptr) fail(1, "no 'graph [ ... ]' in the file");
    if (graph_entry->value.kind != GmlValue::Kind::list) {
      fail(graph_entry->line, "'graph' must be followed by a [ list ]");
    }
    const auto& body = graph_entry->value.list;
    for (const auto& entry : body) {
      if (entry.key == "directed") check_undirected(entry);
    }
    for (const auto& entry : body) {
      if (entry.key == "node") add_node(entry);
    }
    for (const auto& entry : body) {
      if (entry.key == "edge") add_edge(entry);
    }
    return std::move(graph_);
  }

 private:
  [[noreturn]] void fail(std::size_t line, std::string_view what) const {
    throw detail::located_error(source_, line, what);
  }

  void check_undirected(const GmlEntry& entry) const {
    if (entry.value.kind != GmlValue::Kind::integer) {
      fail(entry.line, "'directed' must be 0 or 1");
    }
    if (entry.value.integer != 0) {
      fail(entry.line, "'directed " + entry.value.text +
                           "': friend graphs are undirected (write 'directed 0' or omit it)");
    }
  }

  // The single entry `key` of a node or edge list, if present.
  const GmlEntry* field(const GmlEntry& owner, std::string_view key) const {
    const GmlEntry* found = nullptr;
    for (const auto& entry : owner.value.list) {
      if (entry.key != key) continue;
      if (found != nullptr) {
        fail(entry.line, "'" + owner.key + "' has two '" + entry.key + "' keys");
      }
      found = &entry;
    }
    return found;
  }

  std::int64_t integer_field(const GmlEntry& owner, std::string_view key) const {
    const GmlEntry* entry = field(owner, key);
    if (entry == nullptr) {
      fail(owner.line, "'" + owner.key + "' without '" + std::string(key) + "'");
    }
    if (entry->value.kind != GmlValue::Kind::integer) {
      fail(entry->line, "'" + std::string(key) + "' must be an integer");
    }
    return entry->value.integer;
  }

  void require_list(const GmlEntry& entry) const {
    if (entry.value.kind != GmlValue::Kind::list) {
      fail(entry.line, "'" + entry.key + "' must be followed by a [ list ]");
    }
  }

  void add_node(const GmlEntry& node) {
    require_list(node);
    const std::int64_t id = integer_field(node, "id");
    std::string name = std::to_string(id);
    if (const GmlEntry* label = field(node, "label")) {
      if (label->value.kind == GmlValue::Kind::list) {
        fail(label->line, "'label' must be a string or a number");
      }
      name = label->value.text;
    }
    const auto [slot, inserted] = index_by_id_.try_emplace(id, 0, node.line);
    if (!inserted) {
      fail(node.line, "duplicate node id " + std::to_string(id) + " (first on line " +
                          std::to_string(slot->second.line) + ")");
    }
    slot->second.index = detail::at_location(source_, node.line,
                                             [&] { return graph_.add_server(name); });
  }

  ServerIndex endpoint(const GmlEntry& edge, std::string_view key) const {
    const std::int64_t id = integer_field(edge, key);
    const auto it = index_by_id_.find(id);
    if (it == index_by_id_.end()) {
      fail(field(edge, key)->line,
           "edge " + std::string(key) + " " + std::to_string(id) + " is not a node id");
    }
    return it->second.index;
  }

  void add_edge(const GmlEntry& edge) {
    require_list(edge);
    const ServerIndex a = endpoint(edge, "source");
    const ServerIndex b = endpoint(edge, "target");
    detail::at_location(source_, edge.line, [&] { graph_.add_edge(a, b); });
  }

  struct NodeSlot {
    ServerIndex index = 0;
    std::size_t line = 0;
    NodeSlot(ServerIndex i, std::size_t l) : index(i), line(l) {}
  };

  std::string_view source_;
  FriendGraph graph_;
  std::map<std::int64_t, NodeSlot> index_by_id_;
};

}  // namespace

FriendGraph parse_gml(std::string_view text, std::string_view source_name) {
  return GmlGraphReader(source_name).read(detail::parse_gml_tree(text, source_name));
}

}  // namespace herd::sim
