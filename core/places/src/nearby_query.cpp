#include "herd/places/nearby_query.hpp"

#include <cmath>

namespace herd::places {

std::optional<std::string> query_error(const NearbyQuery& query) {
  if (!std::isfinite(query.lat_deg) || std::abs(query.lat_deg) > 90.0) {
    return "latitude " + std::to_string(query.lat_deg) + " is outside [-90, 90]";
  }
  if (!std::isfinite(query.lng_deg) || std::abs(query.lng_deg) > 180.0) {
    return "longitude " + std::to_string(query.lng_deg) + " is outside [-180, 180]";
  }
  if (!std::isfinite(query.radius_m) || query.radius_m <= 0.0) {
    return "radius " + std::to_string(query.radius_m) + " m is not a positive distance";
  }
  if (query.limit < 1 || query.limit > kMaxNearbyResults) {
    return "limit " + std::to_string(query.limit) + " is outside [1, " +
           std::to_string(kMaxNearbyResults) + "]";
  }
  return std::nullopt;
}

}  // namespace herd::places
