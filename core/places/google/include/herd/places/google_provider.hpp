#pragma once
// A PlacesProvider that asks Google Places Nearby Search over HTTPS (Boost.Beast +
// OpenSSL), asynchronously on the caller's io_context.
//
// Two APIs (docs/architecture.md#places):
//  - "new" (default): Places API (New), POST https://places.googleapis.com/v1/places:searchNearby
//    with X-Goog-Api-Key and X-Goog-FieldMask headers and a JSON body (circle centre,
//    radius in metres, maxResultCount = limit, rankPreference DISTANCE). Its answer
//    (places[] with id, displayName.text, location.latitude/longitude, types,
//    shortFormattedAddress or formattedAddress) is translated into the legacy shape:
//    results[] of {geometry.location.lat/lng, name, place_id, types, vicinity},
//    html_attributions [], status "OK" or "ZERO_RESULTS".
//  - "legacy": GET https://maps.googleapis.com/maps/api/place/nearbysearch/json
//    ?location=lat,lng&radius=m&key=K, for old keys; its answer passes through.
// Either way the answer is re-serialised by to_pretty_json (legacy_json.hpp) with at most
// query.limit results.
//
// Failures. The callback is always called, exactly once, with a legacy-shape object:
//     {"html_attributions":[],"results":[],"status":S,"error_message":"<what went wrong>"}
// S is Google's own status when its answer carries one: a legacy "status" such as
// REQUEST_DENIED, INVALID_REQUEST or OVER_QUERY_LIMIT passes through as is; a New API error
// body {"error":{"status":...}} is mapped (PERMISSION_DENIED and UNAUTHENTICATED ->
// REQUEST_DENIED, INVALID_ARGUMENT -> INVALID_REQUEST, RESOURCE_EXHAUSTED ->
// OVER_QUERY_LIMIT). Otherwise S is UNKNOWN_ERROR: resolve or connect failure, TLS failure
// (including certificate verification), HTTP status other than 200, an unparseable or
// wrongly shaped body, the timeout, or too many requests queued. A query that
// query_error() rejects is answered INVALID_REQUEST without asking Google.
//
// Threading: nearby() may be called from any thread; requests and callbacks run on the
// io_context (callbacks on one of the threads running it, never inside nearby()). Each
// request uses its own TLS connection. Destroying the provider does not cancel requests
// in flight: they finish (or time out) and still call back while the io_context runs.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "herd/places/provider.hpp"

namespace herd::places {

enum class GoogleApi { places_new, legacy };

// "new" or "legacy", as written in a configuration; throws std::invalid_argument naming
// the value otherwise.
[[nodiscard]] GoogleApi parse_google_api(std::string_view name);

struct GoogleOptions {
  std::string api_key;                   // required
  GoogleApi api = GoogleApi::places_new;
  std::string host;                      // empty: places.googleapis.com or maps.googleapis.com
  std::uint16_t port = 443;
  int timeout_ms = 5000;                 // per request: resolve, connect, TLS, write and read
  bool verify_tls = true;                // certificate chain and host name
  std::string ca_file;                   // PEM CA bundle to trust; empty: the system's
  int max_concurrent_requests = 8;       // more wait in a queue...
  std::size_t max_queued_requests = 1024;  // ...of at most this many, then UNKNOWN_ERROR
};

// Throws std::invalid_argument for unusable options (empty key, non-positive timeout or
// concurrency) and std::runtime_error naming the file when ca_file cannot be loaded.
[[nodiscard]] std::unique_ptr<PlacesProvider> make_google_provider(boost::asio::io_context& io,
                                                                   GoogleOptions options);

}  // namespace herd::places
