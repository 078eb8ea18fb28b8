#include "overrides.hpp"
#include "herd/sim/scenario_toml.hpp"

#include <cstdio>
#include <string_view>
#include <utility>

#include "herd/sim/scenario_file.hpp"
#include "toml_access.hpp"

namespace herd::sim::detail {
namespace {

constexpr std::string_view kPrefix = "--set ";

// One override, split; columns are 1-based positions in `display` ("--set key=value"),
// which is what error messages show.
struct Override {
  std::string display;
  std::string key;
  std::string value;
  std::vector<std::string> segments;
  std::vector<int> segment_columns;
};

[[noreturn]] void fail_override(const Override& item, int column, const std::string& message) {
  throw ScenarioError(item.display, 1, column, message);
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

Override split(const std::string& text) {
  Override item;
  item.display = std::string(kPrefix) + text;
  const int key_column = static_cast<int>(kPrefix.size()) + 1;
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    fail_override(item, key_column,
                  "expected key=value with a dotted key, such as workload.iamat.rate=500/s");
  }
  item.key = text.substr(0, equals);
  item.value = text.substr(equals + 1);
  if (item.value.find_first_of("\r\n") != std::string::npos) {
    fail_override(item, key_column + static_cast<int>(equals) + 1,
                  "an override value must be on one line");
  }
  std::size_t start = 0;
  while (true) {
    const auto dot = item.key.find('.', start);
    const std::string segment =
        item.key.substr(start, dot == std::string::npos ? dot : dot - start);
    const int column = key_column + static_cast<int>(start);
    if (segment.empty())
      fail_override(item, column, "empty part in dotted key " + in_quotes(item.key));
    for (std::size_t i = 0; i < segment.size(); ++i) {
      if (!is_bare_key_char(segment[i])) {
        fail_override(item, column + static_cast<int>(i),
                      "keys may use letters, digits, '_' and '-' only; got " + in_quotes(item.key));
      }
    }
    item.segments.push_back(segment);
    item.segment_columns.push_back(column);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return item;
}

// A TOML basic string holding `value` verbatim.
std::string toml_quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(byte));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The override as a one-key TOML document whose positions line up with `display`: the
// padding stands in for "--set ". A value that is not valid TOML is taken as a string.
toml::table parse_override(const Override& item) {
  const std::string pad(kPrefix.size(), ' ');
  try {
    return toml::parse(pad + item.key + "=" + item.value, std::string(item.display));
  } catch (const toml::parse_error&) {
  }
  try {
    return toml::parse(pad + item.key + "=" + toml_quoted(item.value), std::string(item.display));
  } catch (const toml::parse_error& error) {
    // The key was checked above, so this is not expected; report it all the same.
    fail_at(error.source(), std::string(error.description()));
  }
}

std::string joined(const Override& item, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count; ++i) path = key_path(path, item.segments[i]);
  return path;
}

std::size_t parse_index(const Override& item, std::size_t segment, std::size_t size) {
  const std::string& text = item.segments[segment];
  const int column = item.segment_columns[segment];
  const std::string array_path = joined(item, segment);
  std::size_t index = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || index > size) {
      fail_override(item, column,
                    array_path + " is an array; expected an index such as " + array_path +
                        ".0, got " + in_quotes(text));
    }
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  if (index >= size) {
    fail_override(item, column,
                  array_path + " has " + std::to_string(size) +
                      " entries (indices from 0); there is no entry " + text);
  }
  return index;
}

// Moves the override's leaf (and any tables the document lacks) into the document.
void graft(toml::table& document, toml::table& parsed, const Override& item) {
  toml::table* target = &document;
  toml::table* source = &parsed;
  const std::size_t count = item.segments.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto source_entry = source->find(item.segments[i]);
    toml::node* existing = target->get(item.segments[i]);
    if (i + 1 == count || existing == nullptr) {
      toml::key key = source_entry->first;  // a copy keeps the override's position
      target->insert_or_assign(std::move(key), std::move(source_entry->second));
      return;
    }
    toml::table& next_source = *source_entry->second.as_table();
    if (auto* table = existing->as_table()) {
      target = table;
      source = &next_source;
      continue;
    }
    auto* array = existing->as_array();
    if (array == nullptr) {
      fail_override(item, item.segment_columns[i + 1],
                    joined(item, i + 1) + " is " + describe_type(*existing) +
                        ", not a table, so it has no key " + in_quotes(item.segments[i + 1]));
    }
    const std::size_t index = parse_index(item, i + 1, array->size());
    const auto index_entry = next_source.find(item.segments[i + 1]);
    if (i + 2 == count) {
      array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index),
                     std::move(index_entry->second));
      return;
    }
    auto* element = array->get(index)->as_table();
    if (element == nullptr) {
      fail_override(item, item.segment_columns[i + 2],
                    joined(item, i + 2) + " is " + describe_type(*array->get(index)) +
                        ", not a table, so it has no key " + in_quotes(item.segments[i + 2]));
    }
    target = element;
    source = index_entry->second.as_table();
    ++i;
  }
}

}  // namespace

void apply_overrides(toml::table& document, const std::vector<std::string>& overrides) {
  for (const std::string& text : overrides) {
    const Override item = split(text);
    toml::table parsed = parse_override(item);
    graft(document, parsed, item);
  }
}

}  // namespace herd::sim::detail

namespace herd::sim {

void apply_scenario_overrides(toml::table& document, const std::vector<std::string>& overrides) {
  detail::apply_overrides(document, overrides);
}

}  // namespace herd::sim
