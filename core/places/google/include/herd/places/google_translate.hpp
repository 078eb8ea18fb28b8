#pragma once
// Pure translation between NearbyQuery / legacy-shape answers and the two Google Places
// APIs, kept apart from the HTTPS plumbing so it can be read and tested on its own.
// Error answers follow the contract documented in google_provider.hpp.

#include <string>
#include <string_view>

#include "herd/places/provider.hpp"

namespace herd::places {

// Places API (New) Nearby Search: POST kNewApiPath with headers X-Goog-Api-Key and
// X-Goog-FieldMask = kNewApiFieldMask.
inline constexpr std::string_view kNewApiDefaultHost = "places.googleapis.com";
inline constexpr std::string_view kNewApiPath = "/v1/places:searchNearby";
inline constexpr std::string_view kNewApiFieldMask =
    "places.id,places.displayName,places.location,places.types,"
    "places.shortFormattedAddress,places.formattedAddress";
// Legacy Nearby Search: GET legacy_api_target(...).
inline constexpr std::string_view kLegacyApiDefaultHost = "maps.googleapis.com";
inline constexpr std::string_view kLegacyApiPath = "/maps/api/place/nearbysearch/json";

// {"locationRestriction":{"circle":{"center":{"latitude","longitude"},"radius"}},
//  "maxResultCount":limit (clamped to 1..20),"rankPreference":"DISTANCE"}; DISTANCE so
// that, like every provider, the answer lists the nearest place first.
[[nodiscard]] std::string new_api_request_body(const NearbyQuery& query);

// kLegacyApiPath + "?location=<lat>,<lng>&radius=<m>&key=<percent-encoded key>".
[[nodiscard]] std::string legacy_api_target(const NearbyQuery& query, std::string_view api_key);

// A Places API (New) response (HTTP status and body) as a legacy-shape JSON text, at most
// `limit` results.
[[nodiscard]] std::string translate_new_api_answer(unsigned http_status, std::string_view body,
                                                   int limit);

// A legacy Nearby Search response re-serialised in our pretty form, at most `limit`
// results; Google's own non-OK status passes through.
[[nodiscard]] std::string translate_legacy_api_answer(unsigned http_status, std::string_view body,
                                                      int limit);

}  // namespace herd::places
