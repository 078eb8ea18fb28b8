#include "herd/places/google_translate.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include <boost/json/parse.hpp>

#include "herd/places/legacy_json.hpp"
#include "herd/places/nearby_query.hpp"

namespace herd::places {
namespace {

namespace json = boost::json;

constexpr std::size_t kExcerptBytes = 200;  // of an unexpected body, for error_message

std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string percent_encode(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || ch == '-' || ch == '_' || ch == '.' ||
                            ch == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// A printable, bounded piece of an unexpected body.
std::string excerpt(std::string_view body) {
  std::string out;
  for (const char ch : body.substr(0, kExcerptBytes)) {
    out += static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch;
  }
  if (body.size() > kExcerptBytes) out += "...";
  return out.empty() ? "(empty body)" : out;
}

const json::value* member(const json::value& value, std::string_view key) {
  const auto* object = value.if_object();
  return object == nullptr ? nullptr : object->if_contains(key);
}

std::optional<std::string> string_member(const json::value& value, std::string_view key) {
  const auto* found = member(value, key);
  if (found == nullptr || !found->is_string()) return std::nullopt;
  return std::string(found->get_string());
}

std::optional<double> number_member(const json::value& value, std::string_view key) {
  const auto* found = member(value, key);
  if (found == nullptr || !found->is_number()) return std::nullopt;
  return found->to_number<double>();
}

bool is_legacy_status(std::string_view status) {
  static constexpr std::array<std::string_view, 6> kStatuses = {
      "OK",
      "ZERO_RESULTS",
      "INVALID_REQUEST",
      "OVER_QUERY_LIMIT",
      "REQUEST_DENIED",
      "UNKNOWN_ERROR",
  };
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

// google.rpc.Code names used by the Places API (New), in the legacy API's vocabulary.
std::string legacy_status_for(std::string_view rpc_status) {
  if (rpc_status == "PERMISSION_DENIED" || rpc_status == "UNAUTHENTICATED") {
    return "REQUEST_DENIED";
  }
  if (rpc_status == "INVALID_ARGUMENT" || rpc_status == "OUT_OF_RANGE" ||
      rpc_status == "FAILED_PRECONDITION") {
    return "INVALID_REQUEST";
  }
  if (rpc_status == "RESOURCE_EXHAUSTED") return "OVER_QUERY_LIMIT";
  return "UNKNOWN_ERROR";
}

// An answer with HTTP status other than 200. Google's own words win when the body has them:
// a legacy "status"/"error_message", or a New API {"error":{"status","message"}}.
std::string http_error_answer(unsigned http_status, std::string_view body) {
  std::string status = "UNKNOWN_ERROR";
  std::string message = "Google Places answered HTTP " + std::to_string(http_status);
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec) return legacy_error_json(status, message + ": " + excerpt(body));

  if (const auto* error = member(parsed, "error")) {
    const auto rpc_status = string_member(*error, "status");
    if (rpc_status) {
      status = legacy_status_for(*rpc_status);
      message += " " + *rpc_status;
    }
    if (auto text = string_member(*error, "message")) message += ": " + *text;
  }
  if (auto legacy = string_member(parsed, "status");
      legacy && is_legacy_status(*legacy) && *legacy != "OK" && *legacy != "ZERO_RESULTS") {
    status = *legacy;
  }
  if (auto text = string_member(parsed, "error_message")) message += ": " + *text;
  return legacy_error_json(status, message);
}

std::optional<json::value> parse_answer(std::string_view body, std::string& problem) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) {
    problem = "unparseable answer from Google Places (" + ec.message() + "): " + excerpt(body);
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    problem = "answer from Google Places is not a JSON object: " + excerpt(body);
    return std::nullopt;
  }
  return parsed;
}

std::size_t result_cap(int limit) {
  return static_cast<std::size_t>(std::clamp(limit, 0, kMaxNearbyResults));
}

// A Places API (New) place as a legacy result; nothing if it lacks a location.
std::optional<LegacyPlace> legacy_place_from_new(const json::value& place) {
  const auto* location = member(place, "location");
  if (location == nullptr) return std::nullopt;
  const auto lat = number_member(*location, "latitude");
  const auto lng = number_member(*location, "longitude");
  if (!lat || !lng) return std::nullopt;

  LegacyPlace out;
  out.lat_deg = *lat;
  out.lng_deg = *lng;
  out.place_id = string_member(place, "id").value_or("");
  if (const auto* display_name = member(place, "displayName")) {
    out.name = string_member(*display_name, "text").value_or("");
  }
  if (const auto* types = member(place, "types"); types != nullptr && types->is_array()) {
    for (const auto& type : types->get_array()) {
      if (type.is_string()) out.types.emplace_back(type.get_string());
    }
  }
  out.vicinity = string_member(place, "shortFormattedAddress")
                     .value_or(string_member(place, "formattedAddress").value_or(""));
  return out;
}

}  // namespace

std::string new_api_request_body(const NearbyQuery& query) {
  const int count = std::clamp(query.limit, 1, kMaxNearbyResults);
  return R"({"locationRestriction":{"circle":{"center":{"latitude":)" +
         format_number(query.lat_deg) + R"(,"longitude":)" + format_number(query.lng_deg) +
         R"(},"radius":)" + format_number(query.radius_m) + R"(}},"maxResultCount":)" +
         std::to_string(count) + R"(,"rankPreference":"DISTANCE"})";
}

std::string legacy_api_target(const NearbyQuery& query, std::string_view api_key) {
  return std::string(kLegacyApiPath) + "?location=" + format_number(query.lat_deg) + "," +
         format_number(query.lng_deg) + "&radius=" + format_number(query.radius_m) +
         "&key=" + percent_encode(api_key);
}

std::string translate_new_api_answer(unsigned http_status, std::string_view body, int limit) {
  if (http_status != 200) return http_error_answer(http_status, body);
  std::string problem;
  const auto parsed = parse_answer(body, problem);
  if (!parsed) return legacy_error_json("UNKNOWN_ERROR", problem);

  // The New API answers {} when nothing is near.
  const auto* places = member(*parsed, "places");
  if (places == nullptr) return legacy_results_json({}, {});
  if (!places->is_array()) {
    return legacy_error_json("UNKNOWN_ERROR",
                             "Google Places answer has a 'places' that is "
                             "not an array: " +
                                 excerpt(body));
  }
  std::vector<LegacyPlace> results;
  const std::size_t cap = result_cap(limit);
  for (const auto& place : places->get_array()) {
    if (results.size() >= cap) break;
    if (auto translated = legacy_place_from_new(place)) results.push_back(std::move(*translated));
  }
  if (results.empty() && !places->get_array().empty()) {
    return legacy_error_json(
        "UNKNOWN_ERROR", "no place in the Google Places answer has a location: " + excerpt(body));
  }
  return legacy_results_json({}, results);
}

std::string translate_legacy_api_answer(unsigned http_status, std::string_view body, int limit) {
  if (http_status != 200) return http_error_answer(http_status, body);
  std::string problem;
  const auto parsed = parse_answer(body, problem);
  if (!parsed) return legacy_error_json("UNKNOWN_ERROR", problem);

  const auto status = string_member(*parsed, "status");
  if (!status) {
    return legacy_error_json("UNKNOWN_ERROR",
                             "Google Places answer has no status: " + excerpt(body));
  }
  if (*status != "OK" && *status != "ZERO_RESULTS") {
    return legacy_error_json(
        *status,
        string_member(*parsed, "error_message").value_or("Google Places answered " + *status));
  }
  const auto* results = member(*parsed, "results");
  if (results == nullptr || !results->is_array()) {
    return legacy_error_json("UNKNOWN_ERROR",
                             "Google Places answer has no results array: " + excerpt(body));
  }
  json::array capped;
  const std::size_t cap = result_cap(limit);
  for (const auto& result : results->get_array()) {
    if (capped.size() >= cap) break;
    capped.push_back(result);
  }
  json::object answer;
  const auto* attributions = member(*parsed, "html_attributions");
  answer["html_attributions"] =
      attributions != nullptr && attributions->is_array() ? *attributions : json::array();
  answer["results"] = std::move(capped);
  answer["status"] = *status;
  return to_pretty_json(answer);
}

}  // namespace herd::places
