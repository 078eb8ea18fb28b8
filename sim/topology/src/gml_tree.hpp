#pragma once
// GML's generic syntax: a list of `key value` pairs where a value is an integer, a real, a
// string or a nested [ list ]. Private to the GML reader, which gives the tree meaning.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herd::sim::detail {

struct GmlEntry;

struct GmlValue {
  enum class Kind { integer, real, string, list };
  Kind kind = Kind::integer;
  std::int64_t integer = 0;    // when kind == integer
  std::string text;            // the string (entities decoded), or a number as written
  std::vector<GmlEntry> list;  // when kind == list
};

struct GmlEntry {
  std::string key;
  std::size_t line = 1;  // where the key is
  GmlValue value;
};

// Parses the whole text as the top-level list. Throws TopologyError ("source:line: ...")
// on syntax errors; nesting is limited to kMaxGmlDepth.
inline constexpr int kMaxGmlDepth = 64;
[[nodiscard]] std::vector<GmlEntry> parse_gml_tree(std::string_view text,
                                                   std::string_view source_name);

// "&quot;" -> '"' and friends, "&#233;" / "&#xe9;" -> UTF-8; unknown entities stay as
// written.
[[nodiscard]] std::string decode_gml_entities(std::string_view text);

}  // namespace herd::sim::detail
