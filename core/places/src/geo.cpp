#include "herd/places/geo.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace herd::places {
namespace {

constexpr double kDegPerRad = 180.0 / std::numbers::pi;

double to_rad(double deg) { return deg / kDegPerRad; }

}  // namespace

double haversine_distance_m(LatLng a, LatLng b) {
  const double lat1 = to_rad(a.lat_deg);
  const double lat2 = to_rad(b.lat_deg);
  const double dlat = lat2 - lat1;
  const double dlng = to_rad(b.lng_deg - a.lng_deg);
  const double s_lat = std::sin(dlat / 2);
  const double s_lng = std::sin(dlng / 2);
  double h = s_lat * s_lat + std::cos(lat1) * std::cos(lat2) * s_lng * s_lng;
  h = std::clamp(h, 0.0, 1.0);  // rounding can push it a hair past 1 for antipodes
  return 2 * kEarthRadius_m * std::asin(std::sqrt(h));
}

// The method of J. P. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude
// Using Bounding Coordinates": the widest longitude span of a circle is reached at the
// latitude where a meridian is tangent to it, asin(sin d / cos lat) either side.
std::vector<LatLngBox> bounding_boxes(LatLng centre, double radius_m) {
  const double angular_rad = radius_m / kEarthRadius_m;
  const double angular_deg = angular_rad * kDegPerRad;
  const double lat_min = centre.lat_deg - angular_deg;
  const double lat_max = centre.lat_deg + angular_deg;

  if (angular_rad >= std::numbers::pi || lat_max >= 90.0 || lat_min <= -90.0) {
    // The circle contains a pole (or the whole sphere): every longitude is in reach.
    return {{std::max(lat_min, -90.0), std::min(lat_max, 90.0), -180.0, 180.0}};
  }
  const double ratio = std::sin(angular_rad) / std::cos(to_rad(centre.lat_deg));
  if (ratio >= 1.0) {
    return {{lat_min, lat_max, -180.0, 180.0}};
  }
  const double dlng_deg = std::asin(ratio) * kDegPerRad;
  const double lng_min = centre.lng_deg - dlng_deg;
  const double lng_max = centre.lng_deg + dlng_deg;
  if (lng_max - lng_min >= 360.0) {
    return {{lat_min, lat_max, -180.0, 180.0}};
  }
  if (lng_min < -180.0) {
    return {{lat_min, lat_max, lng_min + 360.0, 180.0}, {lat_min, lat_max, -180.0, lng_max}};
  }
  if (lng_max > 180.0) {
    return {{lat_min, lat_max, lng_min, 180.0}, {lat_min, lat_max, -180.0, lng_max - 360.0}};
  }
  return {{lat_min, lat_max, lng_min, lng_max}};
}

}  // namespace herd::places
