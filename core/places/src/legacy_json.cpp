#include "herd/places/legacy_json.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace herd::places {
namespace {

namespace json = boost::json;

constexpr std::string_view kIndentUnit = "   ";  // Google's legacy examples indent by 3

void append_indent(std::string& out, int depth) {
  for (int i = 0; i < depth; ++i) out += kIndentUnit;
}

void append_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";  // JSON has no NaN or infinity; Boost.JSON parsing never yields them
    return;
  }
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  const std::string_view text(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
  out += text;
  // Keep integral values recognisably floating point (34.0, not 34), so that typed parsers
  // read a coordinate the same way whatever its value.
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

bool is_scalar(const json::value& value) { return !value.is_object() && !value.is_array(); }

void append_value(std::string& out, const json::value& value, int depth);

void append_object(std::string& out, const json::object& object, int depth) {
  if (object.empty()) {
    out += "{}";
    return;
  }
  out += "{\n";
  bool first = true;
  for (const auto& member : object) {
    if (!first) out += ",\n";
    first = false;
    append_indent(out, depth + 1);
    append_json_string(out, member.key());
    out += " : ";
    append_value(out, member.value(), depth + 1);
  }
  out += '\n';
  append_indent(out, depth);
  out += '}';
}

void append_array(std::string& out, const json::array& array, int depth) {
  if (array.empty()) {
    out += "[]";
    return;
  }
  bool all_scalars = true;
  for (const auto& element : array) all_scalars = all_scalars && is_scalar(element);
  if (all_scalars) {
    out += "[ ";
    bool first = true;
    for (const auto& element : array) {
      if (!first) out += ", ";
      first = false;
      append_value(out, element, depth);
    }
    out += " ]";
    return;
  }
  out += "[\n";
  bool first = true;
  for (const auto& element : array) {
    if (!first) out += ",\n";
    first = false;
    append_indent(out, depth + 1);
    append_value(out, element, depth + 1);
  }
  out += '\n';
  append_indent(out, depth);
  out += ']';
}

void append_value(std::string& out, const json::value& value, int depth) {
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      append_integer(out, value.get_int64());
      break;
    case json::kind::uint64:
      append_integer(out, value.get_uint64());
      break;
    case json::kind::double_:
      append_double(out, value.get_double());
      break;
    case json::kind::string:
      append_json_string(out, value.get_string());
      break;
    case json::kind::array:
      append_array(out, value.get_array(), depth);
      break;
    case json::kind::object:
      append_object(out, value.get_object(), depth);
      break;
  }
}

// Written directly rather than through json::value: the offline gazetteer answers in tens
// of microseconds and building a DOM of small maps would double that. The layout is
// exactly what to_pretty_json gives for the same value (a test holds them together).
void append_string_list(std::string& out, const std::vector<std::string>& strings) {
  if (strings.empty()) {
    out += "[]";
    return;
  }
  out += "[ ";
  for (std::size_t i = 0; i < strings.size(); ++i) {
    if (i > 0) out += ", ";
    append_json_string(out, strings[i]);
  }
  out += " ]";
}

void append_place(std::string& out, const LegacyPlace& place) {
  out +=
      "      {\n"
      "         \"geometry\" : {\n"
      "            \"location\" : {\n"
      "               \"lat\" : ";
  append_double(out, place.lat_deg);
  out += ",\n               \"lng\" : ";
  append_double(out, place.lng_deg);
  out += "\n            }\n         },\n         \"name\" : ";
  append_json_string(out, place.name);
  out += ",\n         \"place_id\" : ";
  append_json_string(out, place.place_id);
  out += ",\n         \"types\" : ";
  append_string_list(out, place.types);
  out += ",\n         \"vicinity\" : ";
  append_json_string(out, place.vicinity);
  out += "\n      }";
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  out += '"';
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0x0F];
        } else {
          out += ch;  // includes every byte of multi-byte UTF-8 sequences, kept as is
        }
    }
  }
  out += '"';
}

std::string to_pretty_json(const boost::json::value& value) {
  std::string out;
  append_value(out, value, 0);
  return out;
}

std::string legacy_results_json(const std::vector<std::string>& html_attributions,
                                const std::vector<LegacyPlace>& places) {
  std::string out;
  out.reserve(256 + 400 * places.size());
  out += "{\n   \"html_attributions\" : ";
  append_string_list(out, html_attributions);
  if (places.empty()) {
    out += ",\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}";
    return out;
  }
  out += ",\n   \"results\" : [\n";
  for (std::size_t i = 0; i < places.size(); ++i) {
    if (i > 0) out += ",\n";
    append_place(out, places[i]);
  }
  out += "\n   ],\n   \"status\" : \"OK\"\n}";
  return out;
}

std::string legacy_error_json(std::string_view status, std::string_view message) {
  json::object answer;
  answer["html_attributions"] = json::array();
  answer["results"] = json::array();
  answer["status"] = status;
  answer["error_message"] = message;
  return to_pretty_json(answer);
}

}  // namespace herd::places
