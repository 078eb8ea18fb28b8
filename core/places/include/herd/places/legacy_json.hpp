#pragma once
// Writing answers in the shape of the Google Places Nearby Search (legacy) response, the
// shape every PlacesProvider answers in (docs/protocol.md#whatsat), pretty-printed the way
// Google's legacy examples are.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace herd::places {

// One result of a legacy answer: the fields a WHATSAT reply requires of each place
// (docs/protocol.md#whatsat).
struct LegacyPlace {
  double lat_deg = 0;
  double lng_deg = 0;
  std::string name;
  std::string place_id;
  std::vector<std::string> types;
  std::string vicinity;
};

// Serialises like Google's legacy examples: 3-space indent, `" : "` between key and value,
// arrays of scalars on one line (`[ "locality", "political" ]`), empty containers as `[]`
// and `{}`, object keys in insertion order. Doubles are written in their shortest form
// that reads back exactly (34.06893, where Boost.JSON would write 3.406893E1; 34.0, not
// 34). Strings are escaped per RFC 8259; non-ASCII UTF-8 is kept as is.
[[nodiscard]] std::string to_pretty_json(const boost::json::value& value);

// Appends `text` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view text);

// A complete answer: html_attributions, results (in the given order), and status "OK", or
// "ZERO_RESULTS" when there are no places. Each result is
// {"geometry":{"location":{"lat","lng"}},"name","place_id","types","vicinity"}, laid out
// exactly as to_pretty_json would.
[[nodiscard]] std::string legacy_results_json(const std::vector<std::string>& html_attributions,
                                              const std::vector<LegacyPlace>& places);

// A failed answer: `{"html_attributions":[],"results":[],"status":status,
// "error_message":message}`, pretty-printed like the rest.
[[nodiscard]] std::string legacy_error_json(std::string_view status, std::string_view message);

}  // namespace herd::places
