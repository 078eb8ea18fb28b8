#pragma once
// What makes a NearbyQuery answerable, shared by every provider so they reject the same
// queries with the same words.

#include <optional>
#include <string>

#include "herd/places/provider.hpp"

namespace herd::places {

// The WHATSAT information bound and the Places API (New) maxResultCount share this cap.
inline constexpr int kMaxNearbyResults = 20;

// Why the query cannot be answered (centre out of range or not finite, radius not a
// positive finite number, limit outside 1..kMaxNearbyResults), or nothing when it is fine.
[[nodiscard]] std::optional<std::string> query_error(const NearbyQuery& query);

}  // namespace herd::places
